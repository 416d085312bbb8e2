// A flow's published versions: when each was published and how many handoffs pinned it.
import type { FlowVersions } from '../../api/types.ts';
import { when } from '../../ui/time.ts';

export function VersionHistory({ versions }: { versions: FlowVersions['items'] }) {
  return (
    <table className="versions">
      <caption>Version history (newest first)</caption>
      <thead>
        <tr>
          <th scope="col">Version</th>
          <th scope="col">Published</th>
          <th scope="col">Handoffs pinned</th>
        </tr>
      </thead>
      <tbody>
        {versions.map((v) => (
          <tr key={v.version}>
            <td>
              <code title={v.version}>{v.version.slice(0, 12)}</code>{' '}
              {v.live && <span className="badge badge-ok">live</span>}
            </td>
            <td>
              <time dateTime={v.publishedAt}>{when(v.publishedAt)}</time>
            </td>
            <td>{v.handoffs}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
