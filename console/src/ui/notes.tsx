// Messages a page shows: errors as the API gave them (with the fields it named), loading, empty.
import type { ApiError } from '../api/client.ts';

export function ErrorNote({ error }: { error: ApiError | null | undefined }) {
  if (!error) return null;
  return (
    <div role="alert" className="note note-error">
      <strong>Error{error.status ? ` ${error.status}` : ''}:</strong> {error.message}
      {error.details.length > 0 && (
        <ul>
          {error.details.map((d, i) => (
            <li key={i}>
              <code>{d.path}</code>: {d.message}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

export function Loading({ what }: { what: string }) {
  return (
    <p className="muted" role="status">
      Loading {what}…
    </p>
  );
}
