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

/** Who a project declares: its people, its teams, and the roles its people hold. */
export interface KnownOwners {
  people: ReadonlySet<string>;
  teams: ReadonlySet<string>;
  roles: ReadonlySet<string>;
}

/**
 * Why an owner names nobody the project knows, or undefined when it is fine. The one check for
 * every owner: flows at load, and at run time reassign, shadow observations, corrected and
 * rendered decisions, ladder rungs. `agent:` owners are Baton's own and pass.
 */
export function unknownOwner(owner: string, known: KnownOwners): string | undefined {
  const o = parseOwner(owner);
  if (!o) return `"${owner}" is not an owner (like user:dana, team:sales or role:cfo)`;
  if (o.kind === 'user' && !known.people.has(o.id))
    return `unknown user "${o.id}": declare it under people: in baton.yaml`;
  if (o.kind === 'team' && !known.teams.has(o.id))
    return `unknown team "${o.id}": declare it under teams: in baton.yaml`;
  if (o.kind === 'role' && !known.roles.has(o.id))
    return `unknown role "${o.id}": nobody holds it (give it to someone under people: in baton.yaml)`;
  return undefined;
}
