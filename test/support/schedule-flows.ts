// Flows for the schedule tests: a bare schedule (one handoff per slot) and a sweep over a
// context source (one handoff per row), both handed to team:finance with a built-in task.

/** One handoff per slot, keyed by the slot's time. */
export function tickFlow(id: string, cron: string, missed: 'last' | 'all' | 'skip' = 'all'): string {
  return `id: ${id}
name: Tick ${id}
boundary: { from: team:ops, to: team:finance }
trigger:
  schedule:
    cron: "${cron}"
    missed: ${missed}
    map: { slot: slot.at }
input: { type: object, required: [slot], properties: { slot: { type: string } } }
decide:
  otherwise: { owner: team:finance }
actions:
  - { id: task, use: builtin.create_task, with: { title: "Tick \${input.slot}" } }
handoff: { to: "\${decision.owner}" }
`;
}

/** One handoff per row of `use` (rows in result.rows), keyed by the row's id. */
export function sweepFlow(id: string, cron: string, use: string, withParams = '{}'): string {
  return `id: ${id}
name: Sweep ${id}
boundary: { from: team:ops, to: team:finance }
trigger:
  schedule:
    cron: "${cron}"
    missed: last
    query: { use: ${use}, with: ${withParams}, key: string(row.id) }
    map: { id: string(row.id), title: row.title, amount: row.amount }
input:
  type: object
  required: [id, title, amount]
  properties: { id: { type: string }, title: { type: string }, amount: { type: integer, minimum: 0 } }
decide:
  otherwise: { owner: team:finance }
actions:
  - { id: task, use: builtin.create_task, with: { title: "Look at \${input.id}" } }
handoff: { to: "\${decision.owner}" }
`;
}

/** A SQL connector on a SQLite file with an `open_items` lookup (up to 1,000 rows). */
export const sqlConnector = (file: string): string => `
connectors:
  erp:
    type: sql
    url: sqlite:${file}
    maxRows: 1000
    statements:
      open_items:
        kind: lookup
        sql: SELECT id, title, amount FROM items WHERE done = 0 ORDER BY id
        params: {}
`;
