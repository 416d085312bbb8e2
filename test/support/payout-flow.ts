// A payout flow for approval-policy tests: one external action (`pay.transfer`, defined in the
// project's actions/ folder) whose approval has a parameter-dependent CFO level, a timeout and
// reminders before it.
import { ROOT } from './project.ts';

export function payoutFlow(id: string, onTimeout: 'escalate' | 'approve' | 'reject' = 'escalate'): string {
  return `id: ${id}
name: Payout ${onTimeout}
boundary: { from: team:ops, to: team:finance }
input:
  type: object
  required: [id, amount, requestedBy]
  properties: { id: { type: string }, amount: { type: number }, requestedBy: { type: string } }
idempotencyKey: input.id
requester: input.requestedBy
decide:
  otherwise: { owner: team:finance }
actions:
  - id: transfer
    use: pay.transfer
    with: { amount: "\${input.amount}", to: "acct-\${input.id}" }
    approval:
      levels:
        - { name: finance manager, approvers: [role:finance-manager] }
        - { name: CFO, when: "params.amount > 10000.0", approvers: [role:cfo] }
      timeout: 2h
      remindBefore: [1h, 30m]
      onTimeout: ${onTimeout}
      onReject: skip
handoff: { to: "\${decision.owner}" }
`;
}

/** The project files: the payout flows and the transfer action (which records its calls). */
export function payoutFiles(): Record<string, string> {
  return {
    'actions/pay.ts': `import { z } from '${ROOT}/node_modules/zod/index.js';
import { defineAction } from '${ROOT}/src/actions/define.ts';
const calls: Array<{ amount: number; to: string }> = ((globalThis as any).__transfers ??= []);
export const transfer = defineAction({
  id: 'pay.transfer', risk: 'high', idempotent: true,
  params: z.strictObject({ amount: z.number().positive(), to: z.string().min(1) }),
  async run(p) { calls.push(p); return { ok: true }; },
});
`,
    'flows/payout.yaml': payoutFlow('payout'),
    'flows/payout-approve.yaml': payoutFlow('payout-approve', 'approve'),
    'flows/payout-reject.yaml': payoutFlow('payout-reject', 'reject'),
  };
}

export const transfers = (): Array<{ amount: number; to: string }> =>
  ((globalThis as { __transfers?: Array<{ amount: number; to: string }> }).__transfers ??= []);

/** A payout flow's input: who requested it matters for no-self-approval. */
export const payout = (id: string, amount: number, requestedBy = 'olga') => ({ id, amount, requestedBy });
