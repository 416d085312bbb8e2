// The parts of a flow ops people change, as form sections: mode, rules (when and owner),
// owners, thresholds and approvers (the SLA, ladder and guardrails are in editor-limits.tsx).
// Each edit is one change of the file (edit-ops.ts); the draft route checks the result.
import type { FlowChange, FlowDefinition } from '../../api/types.ts';
import { clear, set, text, type PathSeg } from './edit-ops.ts';
import { ActionsField, Buttons, ListField, NumberField, SelectField, TextField } from './editor-fields.tsx';

type Def = FlowDefinition;

export interface SectionProps {
  def: Def;
  edit: (c: FlowChange) => void;
}

export function ModeSection({ def, edit }: SectionProps) {
  return (
    <fieldset>
      <legend>Mode</legend>
      <SelectField
        label="Mode"
        path={['mode']}
        value={def.mode}
        hint="shadow: decide and record only; suggest: a person confirms each decision; auto: act"
        options={[
          ['shadow', 'shadow'],
          ['suggest', 'suggest'],
          ['auto', 'auto'],
        ]}
        onChange={(v) => edit(set(['mode'], v))}
      />
    </fieldset>
  );
}

export function RulesSection({ def, edit }: SectionProps) {
  const rules = def.decide.rules;
  const all = def.actions.map((a) => a.id);
  return (
    <fieldset>
      <legend>Rules (first match wins)</legend>
      <ol className="edit-list">
        {rules.map((r, i) => {
          const at = (k: string): PathSeg[] => ['decide', 'rules', i, k];
          const label = `Rule ${i + 1}${r.name ? ` (${r.name})` : ''}`;
          return (
            <li key={i}>
              <fieldset>
                <legend>{label}</legend>
                <TextField
                  label="Name"
                  path={at('name')}
                  value={r.name}
                  onChange={(t) => edit(text(at('name'), t))}
                />
                <TextField
                  label="When (CEL)"
                  path={at('when')}
                  value={r.when}
                  multiline
                  code
                  onChange={(t) => edit(set(at('when'), t))}
                />
                <TextField
                  label="Owner"
                  path={at('owner')}
                  value={r.owner}
                  hint="user:ID, team:ID or role:ID"
                  onChange={(t) => edit(set(at('owner'), t))}
                />
                <ActionsField
                  label="Actions"
                  path={at('actions')}
                  value={r.actions}
                  all={all}
                  onChange={(v) => edit(set(at('actions'), v))}
                />
                <Buttons>
                  <button
                    type="button"
                    disabled={i === 0}
                    aria-label={`Move up: ${label}`}
                    onClick={() => edit({ op: 'move', path: ['decide', 'rules', i], to: i - 1 })}
                  >
                    Move up
                  </button>
                  <button
                    type="button"
                    disabled={i === rules.length - 1}
                    aria-label={`Move down: ${label}`}
                    onClick={() => edit({ op: 'move', path: ['decide', 'rules', i], to: i + 1 })}
                  >
                    Move down
                  </button>
                  <button
                    type="button"
                    aria-label={`Remove: ${label}`}
                    onClick={() => edit(clear(['decide', 'rules', i]))}
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
              path: ['decide', 'rules', rules.length],
              value: { name: `rule ${rules.length + 1}`, when: 'false', owner: def.boundary.to },
            })
          }
        >
          Add a rule
        </button>
      </Buttons>
      <fieldset>
        <legend>Otherwise</legend>
        <TextField
          label="Owner"
          path={['decide', 'otherwise', 'owner']}
          value={def.decide.otherwise.owner}
          onChange={(t) => edit(set(['decide', 'otherwise', 'owner'], t))}
        />
        <ActionsField
          label="Actions"
          path={['decide', 'otherwise', 'actions']}
          value={def.decide.otherwise.actions}
          all={all}
          onChange={(v) => edit(set(['decide', 'otherwise', 'actions'], v))}
        />
      </fieldset>
      {def.decide.llm && (
        <fieldset>
          <legend>Model</legend>
          <ListField
            label="Owners it may pick"
            path={['decide', 'llm', 'owners']}
            value={def.decide.llm.owners}
            onChange={(v) => edit(set(['decide', 'llm', 'owners'], v))}
          />
          <NumberField
            label="Minimum confidence"
            path={['decide', 'llm', 'minConfidence']}
            value={def.decide.llm.minConfidence}
            hint="0 to 1: below it the handoff goes to a person"
            onChange={(v) => edit(set(['decide', 'llm', 'minConfidence'], v))}
          />
        </fieldset>
      )}
    </fieldset>
  );
}

export function GatesSection({ def, edit }: SectionProps) {
  if (def.actions.length === 0) return null;
  return (
    <fieldset>
      <legend>Actions: risk and approvals</legend>
      {def.actions.map((a, i) => {
        const ap: PathSeg[] = ['actions', i, 'approval'];
        return (
          <fieldset key={a.id}>
            <legend>
              {a.id} <span className="muted">({a.use})</span>
            </legend>
            <SelectField
              label="Risk"
              path={['actions', i, 'risk']}
              value={a.risk ?? ''}
              options={[
                ['', 'as the action declares'],
                ['low', 'low'],
                ['medium', 'medium'],
                ['high', 'high'],
              ]}
              onChange={(v) => edit(text(['actions', i, 'risk'], v))}
            />
            {a.approval && (
              <>
                <TextField
                  label="Approval needed when (CEL)"
                  path={[...ap, 'when']}
                  value={a.approval.when}
                  code
                  hint="empty: always"
                  onChange={(t) => edit(text([...ap, 'when'], t))}
                />
                {a.approval.levels.map((l, j) => (
                  <div key={j} className="row level">
                    <ListField
                      label={`Level ${j + 1}${l.name ? ` (${l.name})` : ''}: approvers`}
                      path={[...ap, 'levels', j, 'approvers']}
                      value={l.approvers}
                      onChange={(v) => edit(set([...ap, 'levels', j, 'approvers'], v))}
                    />
                    <NumberField
                      label={`Level ${j + 1}: quorum`}
                      path={[...ap, 'levels', j, 'quorum']}
                      value={l.quorum}
                      onChange={(v) => edit(set([...ap, 'levels', j, 'quorum'], v))}
                    />
                  </div>
                ))}
                <TextField
                  label="Approval timeout"
                  path={[...ap, 'timeout']}
                  value={a.approval.timeout}
                  hint="e.g. 4h or 2d; empty: none"
                  onChange={(t) => edit(text([...ap, 'timeout'], t))}
                />
              </>
            )}
          </fieldset>
        );
      })}
    </fieldset>
  );
}
