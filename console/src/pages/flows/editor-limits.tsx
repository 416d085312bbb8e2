// The limits a flow sets on its work: the SLA and the escalation ladder of the hand-off, and the
// guardrails (actions, cost, who approves risky actions).
import type { FlowDefinition } from '../../api/types.ts';
import { amount, clear, set, text, type PathSeg } from './edit-ops.ts';
import { Buttons, ListField, NumberField, SelectField, TextField } from './editor-fields.tsx';
import type { SectionProps } from './editor-sections.tsx';

type Step = FlowDefinition['handoff']['escalate'][number];

export function GuardrailsSection({ def, edit }: SectionProps) {
  const g = def.guardrails;
  const risk = g.riskApproval;
  return (
    <fieldset>
      <legend>Guardrails</legend>
      <div className="row">
        <NumberField
          label="Most actions per handoff"
          path={['guardrails', 'maxActions']}
          value={g.maxActions}
          hint="empty: the project's limit"
          onChange={(v) => edit(amount(['guardrails', 'maxActions'], v))}
        />
        <NumberField
          label="Cost cap per handoff (USD)"
          path={['guardrails', 'costCap', 'perHandoff']}
          value={g.costCap?.perHandoff}
          hint="empty: the project's cap"
          onChange={(v) => edit(amount(['guardrails', 'costCap', 'perHandoff'], v))}
        />
        <NumberField
          label="Cost cap per day (USD)"
          path={['guardrails', 'costCap', 'perDay']}
          value={g.costCap?.perDay}
          hint="empty: the project's cap"
          onChange={(v) => edit(amount(['guardrails', 'costCap', 'perDay'], v))}
        />
      </div>
      {risk && (
        <ListField
          label={`Approvers of actions of risk ${risk.atLeast} or above`}
          path={['guardrails', 'riskApproval', 'approvers']}
          value={risk.approvers}
          hint="empty: the flow's fallback owner"
          onChange={(v) =>
            edit(
              v.length
                ? set(['guardrails', 'riskApproval', 'approvers'], v)
                : clear(['guardrails', 'riskApproval', 'approvers']),
            )
          }
        />
      )}
    </fieldset>
  );
}

const kindOf = (s: Step) => (s.remind ? 'remind' : s.to ? 'to' : 'decide');

export function HandoffSection({ def, edit }: SectionProps) {
  const steps = def.handoff.escalate;
  const stepOf = (after: string, kind: string): Step =>
    kind === 'remind'
      ? { after, remind: 'owner' }
      : kind === 'to'
        ? { after, to: def.handoff.fallbackOwner ?? def.boundary.to }
        : { after, decide: 'complete' };
  return (
    <fieldset>
      <legend>Hand-off, SLA and escalation ladder</legend>
      <TextField
        label="SLA: accepted within"
        path={['handoff', 'acceptWithin']}
        value={def.handoff.acceptWithin}
        hint="e.g. 15m or 4h; empty: no SLA"
        onChange={(t) => edit(text(['handoff', 'acceptWithin'], t))}
      />
      <TextField
        label="Fallback owner"
        path={['handoff', 'fallbackOwner']}
        value={def.handoff.fallbackOwner}
        onChange={(t) => edit(text(['handoff', 'fallbackOwner'], t))}
      />
      <ol className="edit-list">
        {steps.map((s, i) => {
          const at = (k: string): PathSeg[] => ['handoff', 'escalate', i, k];
          const kind = kindOf(s);
          return (
            <li key={i}>
              <fieldset>
                <legend>Step {i + 1}</legend>
                <div className="row">
                  <TextField
                    label="After"
                    path={at('after')}
                    value={s.after}
                    onChange={(t) => edit(set(at('after'), t))}
                  />
                  <SelectField
                    label="Then"
                    path={['handoff', 'escalate', i]}
                    value={kind}
                    options={[
                      ['remind', 'remind the owner'],
                      ['to', 'reassign to'],
                      ['decide', 'decide'],
                    ]}
                    onChange={(k) => edit(set(['handoff', 'escalate', i], stepOf(s.after, k)))}
                  />
                  {kind === 'to' && (
                    <TextField
                      label="To"
                      path={at('to')}
                      value={s.to}
                      hint="an owner, or manager"
                      onChange={(t) => edit(set(at('to'), t))}
                    />
                  )}
                  {kind === 'decide' && (
                    <SelectField
                      label="Decision"
                      path={at('decide')}
                      value={typeof s.decide === 'string' ? s.decide : 'complete'}
                      options={[
                        ['complete', 'complete'],
                        ['cancel', 'cancel'],
                      ]}
                      onChange={(v) => edit(set(at('decide'), v))}
                    />
                  )}
                </div>
                <Buttons>
                  <button
                    type="button"
                    aria-label={`Remove: step ${i + 1}`}
                    onClick={() => edit(clear(['handoff', 'escalate', i]))}
                  >
                    Remove
                  </button>
                </Buttons>
              </fieldset>
            </li>
          );
        })}
      </ol>
      <Buttons>
        <button
          type="button"
          onClick={() =>
            edit({
              op: 'insert',
              path: ['handoff', 'escalate', steps.length],
              value: { after: '1h', remind: 'owner' },
            })
          }
        >
          Add a step
        </button>
      </Buttons>
    </fieldset>
  );
}
