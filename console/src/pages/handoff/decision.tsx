// The decision and its evidence: who or what decided (rule, otherwise, model, person), the
// rationale and confidence for a model, and every field the decision read with where it came
// from and how far it is trusted (the context's provenance).
import { Scroll } from '../../ui/scroll.tsx';
import type { HandoffDetail } from '../../api/types.ts';
import { Owner } from '../../ui/badges.tsx';
import { ColumnHeads } from '../../ui/column-heads.tsx';
import { Fact } from '../../ui/fact.tsx';

type Provenance = NonNullable<HandoffDetail['provenance']>[number];

const str = (v: unknown) => (typeof v === 'string' ? v : undefined);

function source(path: string, provenance: Provenance[]): { from: string; trust: string } {
  if (path.startsWith('input.') || path === 'input') return { from: 'the intake input', trust: 'as sent' };
  const name = /^context\.([^.[]+)/.exec(path)?.[1];
  const p = name ? provenance.find((x) => x.name === name) : undefined;
  if (!p) return { from: 'unknown', trust: 'unknown' };
  return { from: `${p.use}${p.found ? '' : ' (found nothing)'}`, trust: p.trust };
}

export function DecisionView({ h }: { h: HandoffDetail }) {
  const d = h.decision;
  const provenance = h.provenance ?? [];
  if (!d) return <p className="muted">Not decided yet.</p>;
  const by = str(d.by) ?? 'unknown';
  const rule = d.rule as { name?: string; when?: string; index?: number } | undefined;
  const reads = (d.reads ?? {}) as Record<string, unknown>;
  const evidence = Array.isArray(d.evidence) ? (d.evidence as unknown[]).map(String) : [];
  return (
    <div className="decision">
      <dl className="facts">
        <Fact term="Owner">{str(d.owner) ? <Owner owner={str(d.owner)!} /> : '—'}</Fact>
        <Fact term="Decided by">
          {by === 'llm' ? `model ${str(d.model) ?? ''}` : by}
          {rule && (
            <>
              {' '}
              — rule {rule.name ? `“${rule.name}”` : `#${(rule.index ?? 0) + 1}`}: <code>{rule.when}</code>
            </>
          )}
          {str(d.overrides) ? ` (corrected a decision by ${str(d.overrides)})` : ''}
        </Fact>
        {typeof d.confidence === 'number' && <Fact term="Confidence">{Math.round(d.confidence * 100)}%</Fact>}
        {str(d.rationale) && <Fact term="Rationale">{str(d.rationale)}</Fact>}
        <Fact term="Actions chosen">
          {Array.isArray(d.actions) && d.actions.length ? (d.actions as string[]).join(', ') : 'none'}
        </Fact>
        {d.untrusted === true && (
          <Fact term="Trust">
            <span className="badge badge-warn">untrusted text in context</span>
          </Fact>
        )}
      </dl>
      {evidence.length > 0 && (
        <>
          <h3>Evidence cited</h3>
          <ul>
            {evidence.map((e, i) => (
              <li key={i}>
                <code>{e}</code>
              </li>
            ))}
          </ul>
        </>
      )}
      <Scroll label="Fields the decision read">
        <table className="fields">
          <caption>Fields the decision read</caption>
          <ColumnHeads names={['Field', 'Value', 'Source', 'Trust']} />
          <tbody>
            {Object.keys(reads).length === 0 && (
              <tr>
                <td colSpan={4} className="muted">
                  None (the decision read no field).
                </td>
              </tr>
            )}
            {Object.entries(reads).map(([path, value]) => {
              const s = source(path, provenance);
              return (
                <tr key={path}>
                  <th scope="row">
                    <code>{path}</code>
                  </th>
                  <td>
                    <code>{JSON.stringify(value)}</code>
                  </td>
                  <td>{s.from}</td>
                  <td>
                    <span className={`badge badge-${s.trust === 'untrusted' ? 'warn' : 'done'}`}>
                      {s.trust}
                    </span>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </Scroll>
      {provenance.length > 0 && (
        <Scroll label="Context sources">
          <table className="fields">
            <caption>Context sources</caption>
            <ColumnHeads names={['Field', 'Source', 'Trust', 'Found']} />
            <tbody>
              {provenance.map((p) => (
                <tr key={p.name}>
                  <th scope="row">
                    <code>context.{p.name}</code>
                  </th>
                  <td>{p.use}</td>
                  <td>
                    <span className={`badge badge-${p.trust === 'untrusted' ? 'warn' : 'done'}`}>
                      {p.trust}
                    </span>
                  </td>
                  <td>{p.found ? 'yes' : 'no'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </Scroll>
      )}
    </div>
  );
}
