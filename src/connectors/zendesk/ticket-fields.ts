// The fields of a Zendesk ticket that Baton passes on, read defensively from the API's JSON (a
// missing or mistyped field is null): one shape for the ticket source and the sweep's search.
export const num = (v: unknown): number | null => (typeof v === 'number' ? v : null);
export const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

export function ticketFields(t: Record<string, unknown>) {
  return {
    id: num(t.id),
    subject: str(t.subject),
    description: str(t.description),
    status: str(t.status),
    priority: str(t.priority),
    type: str(t.type),
    tags: Array.isArray(t.tags) ? t.tags.filter((x) => typeof x === 'string') : [],
    group_id: num(t.group_id),
    created_at: str(t.created_at),
    updated_at: str(t.updated_at),
  };
}
