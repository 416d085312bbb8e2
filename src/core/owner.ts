// Owners: who holds a piece of work. `user:<id>`, `team:<id>`, `role:<id>` (a queue any holder
// of that business role may accept) or `agent:<flow>` while Baton itself works on it.
export type OwnerKind = 'user' | 'team' | 'role' | 'agent';
export type OwnerRef = `${OwnerKind}:${string}`;

const OWNER = /^(user|team|role|agent):([A-Za-z0-9][A-Za-z0-9._@-]*)$/;

export function parseOwner(text: string): { kind: OwnerKind; id: string } | undefined {
  const m = OWNER.exec(text);
  return m ? { kind: m[1] as OwnerKind, id: m[2]! } : undefined;
}

export function isOwnerRef(text: string): text is OwnerRef {
  return OWNER.test(text);
}

export const agentOwner = (flowId: string): OwnerRef => `agent:${flowId}`;
