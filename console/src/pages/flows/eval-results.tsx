// The flow's eval cases, run on the live flow or on a draft: each passed, or what differed.
import type { FlowEval } from '../../api/types.ts';
import { ColumnHeads } from '../../ui/column-heads.tsx';

export function EvalResults({ result, label }: { result: FlowEval; label: string }) {
  if (result.cases.length === 0)
    return (
      <p className="muted">
        This flow has no eval cases: write them in <code>flows/{result.flow}.cases.yaml</code> beside it.
      </p>
    );
  return (
    <table className="eval">
      <caption>
        {label}: {result.passed} passed, {result.failed} failed{' '}
        <span className="muted">
          (version <code>{result.version.slice(0, 12)}</code>, {result.durationMs} ms)
        </span>
      </caption>
      <ColumnHeads names={['Case', 'Result']} />
      <tbody>
        {result.cases.map((c) => (
          <tr key={c.name}>
            <td>{c.name}</td>
            <td>
              {c.passed ? (
                <span className="badge badge-ok">
                  <span aria-hidden="true">✓ </span>passed
                </span>
              ) : (
                <>
                  <span className="badge badge-bad">
                    <span aria-hidden="true">✗ </span>failed
                  </span>
                  <ul className="failures">
                    {c.failures.map((f, i) => (
                      <li key={i}>{f}</li>
                    ))}
                  </ul>
                </>
              )}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
