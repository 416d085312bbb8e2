// A flow for durability tests: an external effect on an HTTP sink (idempotent PUT or
// non-idempotent POST), then a built-in task, handed to team:finance.
export function sinkFlow(id: string, use: 'http.put' | 'http.post', sinkUrl: string): string {
  return `id: ${id}
name: Sink test ${use}
boundary: { from: team:ops, to: team:finance }
input: { type: object, required: [id], properties: { id: { type: string, pattern: "^[A-Za-z0-9-]+$" } } }
idempotencyKey: input.id
decide:
  otherwise: { owner: team:finance }
actions:
  - { id: effect, use: ${use}, with: { url: "${sinkUrl}/effect", body: { id: "\${input.id}" } }, retry: { attempts: 5, backoff: 50ms } }
  - { id: task, use: builtin.create_task, with: { title: "Pay \${input.id}" } }
handoff: { to: "\${decision.owner}" }
`;
}
