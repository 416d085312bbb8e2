// A flow drawn as the path work takes: trigger → context → rules → actions with their gates →
// hand-off → escalation ladder. Boxes in an ordered list (a screen reader reads the stages in
// order, with their headings); the arrows between them are drawn by CSS and hidden from it.
import type { ReactNode } from 'react';
import type { FlowDefinition, FlowDetail } from '../../api/types.ts';
import { Owner } from '../../ui/badges.tsx';

type Def = FlowDefinition;
type Action = Def['actions'][number];

function Stage({ title, children }: { title: string; children: ReactNode }) {
  return (
    <li className="stage">
      <h3>{title}</h3>
      {children}
    </li>
  );
}

const Expr = ({ cel }: { cel: string }) => <code className="cel">{cel}</code>;

function ladderStep(s: Def['handoff']['escalate'][number]) {
  if (s.remind) return 'remind the owner';
  if (s.to) return <>reassign to {s.to === 'manager' ? "the owner's manager" : <Owner owner={s.to} />}</>;
  if (s.decide) {
    if (typeof s.decide === 'string') return `decide: ${s.decide}`;
    return (
      <>
        decide: reassign to <Owner owner={s.decide.reassign} />
      </>
    );
  }
  return '';
}

function Gate({ action, def }: { action: Action; def: Def }) {
  const a = action.approval;
  const risk = def.guardrails.riskApproval;
  return (
    <>
      {a && (
        <div className="gate">
          <span className="badge badge-wait">
            <span aria-hidden="true">⚑ </span>approval
          </span>{' '}
          {a.when ? (
            <>
              when <Expr cel={a.when} />
            </>
          ) : (
            'always'
          )}
          <ol className="levels">
            {a.levels.map((l, i) => (
              <li key={i}>
                {l.name ?? `level ${i + 1}`}: {l.quorum > 1 ? `${l.quorum} of ` : ''}
                {l.approvers.map((o, j) => (
                  <span key={o}>
                    {j > 0 && ', '}
                    <Owner owner={o} />
                  </span>
                ))}
                {l.when && (
                  <>
                    {' '}
                    when <Expr cel={l.when} />
                  </>
                )}
              </li>
            ))}
          </ol>
          {a.timeout && (
            <span className="muted">
              timeout {a.timeout}, then {a.onTimeout}
            </span>
          )}
        </div>
      )}
      {action.risk && (
        <div className="gate">
          <span className={`badge ${action.risk === 'high' ? 'badge-bad' : 'badge-warn'}`}>
            risk {action.risk}
          </span>
          {risk && riskNeeds(action.risk, risk.atLeast) && (
            <span> needs approval at {risk.atLeast} or above</span>
          )}
        </div>
      )}
    </>
  );
}

const RANK = { low: 0, medium: 1, high: 2 } as const;
const riskNeeds = (risk: keyof typeof RANK, atLeast: 'medium' | 'high') => RANK[risk] >= RANK[atLeast];

export function FlowDiagram({ def, triggers }: { def: Def; triggers: FlowDetail['triggers'] }) {
  return (
    <ol className="diagram" aria-label={`How work moves through ${def.name}`}>
      <Stage title="Trigger">
        <ul>
          {triggers.map((t) => (
            <li key={t.trigger}>
              <strong>{t.trigger}</strong> <span className="muted">{t.where}</span>
            </li>
          ))}
        </ul>
        <p className="muted">
          from <Owner owner={def.boundary.from} />
        </p>
      </Stage>
      <Stage title="Context">
        {def.context.length === 0 ? (
          <p className="muted">none</p>
        ) : (
          <ul>
            {def.context.map((c) => (
              <li key={c.name}>
                <strong>{c.name}</strong> <span className="muted">{c.use}</span>
                {c.fallback && <span className="muted"> (else {c.fallback.use})</span>}
              </li>
            ))}
          </ul>
        )}
      </Stage>
      <Stage title="Rules">
        <ol className="rules">
          {def.decide.rules.map((r, i) => (
            <li key={i}>
              <strong>{r.name ?? `rule ${i + 1}`}</strong>: when <Expr cel={r.when} /> →{' '}
              <Owner owner={r.owner} />
              {r.actions && <span className="muted"> with {r.actions.join(', ') || 'no actions'}</span>}
            </li>
          ))}
          {def.decide.llm && (
            <li>
              <strong>model</strong>: picks from {def.decide.llm.owners.join(', ')} at confidence ≥{' '}
              {def.decide.llm.minConfidence}
            </li>
          )}
          <li>
            <strong>otherwise</strong> → <Owner owner={def.decide.otherwise.owner} />
            {def.decide.otherwise.actions && (
              <span className="muted"> with {def.decide.otherwise.actions.join(', ') || 'no actions'}</span>
            )}
          </li>
        </ol>
      </Stage>
      <Stage title="Actions">
        {def.actions.length === 0 ? (
          <p className="muted">none</p>
        ) : (
          <ul>
            {def.actions.map((a) => (
              <li key={a.id}>
                <strong>{a.id}</strong> <span className="muted">{a.use}</span>
                {a.when && (
                  <>
                    {' '}
                    when <Expr cel={a.when} />
                  </>
                )}
                <Gate action={a} def={def} />
              </li>
            ))}
          </ul>
        )}
      </Stage>
      <Stage title="Hand-off">
        <p>
          to <code>{def.handoff.to}</code>
        </p>
        <p>
          SLA: {def.handoff.acceptWithin ? `accepted within ${def.handoff.acceptWithin}` : 'none'}
          {def.handoff.fallbackOwner && (
            <>
              <br />
              fallback <Owner owner={def.handoff.fallbackOwner} />
            </>
          )}
        </p>
        <p className="muted">
          boundary to <Owner owner={def.boundary.to} />
        </p>
      </Stage>
      <Stage title="Escalation ladder">
        {def.handoff.escalate.length === 0 ? (
          <p className="muted">none</p>
        ) : (
          <ol>
            {def.handoff.escalate.map((s, i) => (
              <li key={i}>
                after {s.after}: {ladderStep(s)}
              </li>
            ))}
          </ol>
        )}
      </Stage>
    </ol>
  );
}
