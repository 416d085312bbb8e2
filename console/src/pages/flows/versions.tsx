// A flow's published versions: when each was published, how many handoffs pinned it, and on
// demand what changed from it to the live version.
import { Fragment, useState } from 'react';
import { api, ApiError } from '../../api/client.ts';
import type { FlowVersion, FlowVersions } from '../../api/types.ts';
import { ErrorNote } from '../../ui/notes.tsx';
import { when } from '../../ui/time.ts';
import { DiffView } from './diff-view.tsx';
import { ColumnHeads } from '../../ui/column-heads.tsx';

export function VersionHistory({ flow, versions }: { flow: string; versions: FlowVersions['items'] }) {
  const [open, setOpen] = useState<FlowVersion | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const toggle = (version: string) => {
    setError(null);
    if (open?.version === version) return setOpen(null);
    api
      .get<FlowVersion>(`/v1/flows/${encodeURIComponent(flow)}/versions/${encodeURIComponent(version)}`)
      .then(
        (v) => setOpen(v),
        (e: unknown) => setError(e instanceof ApiError ? e : new ApiError(0, 'error', String(e))),
      );
  };
  return (
    <>
      <ErrorNote error={error} />
      <table className="versions">
        <caption>Version history (newest first)</caption>
        <ColumnHeads names={['Version', 'Published', 'Handoffs pinned', 'Changes']} />
        <tbody>
          {versions.map((v) => (
            <Fragment key={v.version}>
              <tr>
                <td data-label="Version">
                  <code title={v.version}>{v.version.slice(0, 12)}</code>{' '}
                  {v.live && <span className="badge badge-ok">live</span>}
                </td>
                <td data-label="Published">
                  <time dateTime={v.publishedAt}>{when(v.publishedAt)}</time>
                </td>
                <td data-label="Handoffs pinned">{v.handoffs}</td>
                <td data-label="Changes">
                  {!v.live && (
                    <button
                      type="button"
                      aria-expanded={open?.version === v.version}
                      aria-controls={`changes-${v.version}`}
                      onClick={() => toggle(v.version)}
                    >
                      Changes to live
                      <span className="sr-only"> from {v.version.slice(0, 12)}</span>
                    </button>
                  )}
                </td>
              </tr>
              {open?.version === v.version && (
                <tr id={`changes-${v.version}`}>
                  <td colSpan={4}>
                    <DiffView
                      diff={open.diff || 'No changes to the text.'}
                      label={`From ${v.version.slice(0, 12)} to live`}
                    />
                  </td>
                </tr>
              )}
            </Fragment>
          ))}
        </tbody>
      </table>
    </>
  );
}
