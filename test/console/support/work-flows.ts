// Flows the handoff and inbox browser tests add to the example project: a suggest-mode triage
// (a person confirms each routing in one click; team:support confirms, its fallback owner).
export const SUGGEST_FLOW = `id: triage-suggest
name: Ticket triage (suggest mode)
boundary: { from: team:support, to: team:eng-tier2 }
trigger: { webhook: {} }
input:
  type: object
  required: [id, title]
  properties: { id: { type: string }, title: { type: string } }
idempotencyKey: input.id
decide:
  rules:
    - { name: outage, when: "input.title.contains('down')", owner: team:eng-oncall }
  otherwise: { owner: team:eng-tier2 }
actions: []
mode: suggest
handoff: { to: '\${decision.owner}', fallbackOwner: team:support }
`;

export const WORK_FILES = { 'flows/triage-suggest.yaml': SUGGEST_FLOW };

/** A lead with no amount and no known account: team:sales-ops qualifies it (ops is a member). */
export const plainLead = (id: string) => ({
  id,
  company: `Co ${id}`,
  email: `jo@${id.toLowerCase()}.example`,
});

/** A lead of 90,000 asked for by kim: its quote waits for a sales manager (sam). */
export const bigLead = (id: string) => ({
  id,
  company: 'Big',
  email: `x@${id.toLowerCase()}.example`,
  amount: 90000,
  submittedBy: 'kim',
});
