// A flow for amend tests: engineering needs the customer to act, so a ticket without one
// escalates (contract_unmet) until its sender amends it.
export const TICKET_FLOW = `id: ticket
name: Ticket
boundary: { from: team:support, to: team:eng-tier2 }
input:
  type: object
  required: [id]
  properties: { id: { type: string }, customer: { type: string }, severity: { type: integer } }
idempotencyKey: input.id
decide:
  rules:
    - { when: "has(input.severity) && input.severity >= 3", owner: team:eng-oncall }
  otherwise: { owner: team:eng-tier2 }
actions:
  - { id: task, use: builtin.create_task, with: { title: 'Ticket \${input.id} for \${input.customer}' } }
contract: { required: [input.customer] }
handoff: { fallbackOwner: team:support }
`;
