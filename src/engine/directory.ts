// People and teams of a project: who may act for an owner, and who manages whom.
import type { Delegation, Person, ProjectDef, Team } from '../core/project-schema.ts';
import { parseOwner, unknownOwner, type KnownOwners, type OwnerRef } from '../core/owner.ts';
import { BatonError } from '../core/errors.ts';
import { delegationHolds } from '../core/delegation.ts';

/** How a user may act for an owner: as themselves, or standing in for someone away (`for`). */
export interface Standing {
  for?: string;
}

export class Directory {
  readonly fallbackOwner: OwnerRef;
  private readonly people = new Map<string, Person>();
  private readonly teams = new Map<string, Team>();
  private readonly delegations: readonly Delegation[];
  private readonly known: KnownOwners;

  constructor(
    def: Pick<ProjectDef, 'people' | 'teams' | 'fallbackOwner'> & { delegations?: readonly Delegation[] },
  ) {
    for (const p of def.people) this.people.set(p.id, p);
    for (const t of def.teams) this.teams.set(t.id, t);
    this.fallbackOwner = def.fallbackOwner;
    this.delegations = def.delegations ?? [];
    this.known = {
      people: new Set(this.people.keys()),
      teams: new Set(this.teams.keys()),
      roles: new Set(def.people.flatMap((p) => p.roles)),
    };
  }

  /** Why `owner` names nobody of the project (an unknown user, team or role), or undefined. */
  unknownOwner(owner: string): string | undefined {
    return unknownOwner(owner, this.known);
  }

  /** Refuses an owner the project does not know: 422 naming the field and the owner. */
  requireKnown(owner: string, field: string): OwnerRef {
    const why = this.unknownOwner(owner);
    if (why)
      throw new BatonError('validation_failed', `${field}: ${why}`, {
        details: [{ path: field, message: why }],
      });
    return owner as OwnerRef;
  }

  /** The people `user` stands in for at `now` on `flow` (their delegations to `user` hold). */
  standsInFor(user: string, flow: string, now: number): string[] {
    const out: string[] = [];
    for (const d of this.delegations)
      if (d.to === user && delegationHolds(d, now, flow) && !out.includes(d.from)) out.push(d.from);
    return out;
  }

  /** Who stands in for `user` at `now` on `flow` (to tell them too). */
  delegatesOf(user: string, flow: string, now: number): string[] {
    const out: string[] = [];
    for (const d of this.delegations)
      if (d.from === user && delegationHolds(d, now, flow) && !out.includes(d.to)) out.push(d.to);
    return out;
  }

  /**
   * May `user` act for `owner` on `flow` at `now`, directly or by delegation? Their own right
   * comes first; otherwise the first person they stand in for who acts for the owner, skipping
   * anyone in `exclude` (e.g. someone who already voted, or the requester).
   */
  standing(
    user: string,
    owner: string,
    flow: string,
    now: number,
    exclude: ReadonlySet<string> = new Set(),
  ): Standing | undefined {
    if (!exclude.has(user) && this.actsFor(user, owner)) return {};
    for (const absent of this.standsInFor(user, flow, now))
      if (!exclude.has(absent) && this.actsFor(absent, owner)) return { for: absent };
    return undefined;
  }

  /** Every owner work may be handed to: each person, team and business role of baton.yaml. */
  assignableOwners(): string[] {
    return [
      ...[...this.known.people].map((id) => `user:${id}`),
      ...[...this.known.teams].map((id) => `team:${id}`),
      ...[...this.known.roles].sort().map((id) => `role:${id}`),
    ];
  }

  person(id: string): Person | undefined {
    return this.people.get(id);
  }

  /** The person with this email (case-insensitive), to map a CRM owner to a Baton user. */
  personByEmail(email: string): Person | undefined {
    const wanted = email.trim().toLowerCase();
    for (const p of this.people.values()) if (p.email?.toLowerCase() === wanted) return p;
    return undefined;
  }

  /** The person whose Slack user id this is (a Slack event's author as a Baton user). */
  personBySlack(slackId: string): Person | undefined {
    for (const p of this.people.values()) if (p.slack === slackId) return p;
    return undefined;
  }

  team(id: string): Team | undefined {
    return this.teams.get(id);
  }

  hasUser(id: string): boolean {
    return this.people.has(id);
  }

  personIds(): IterableIterator<string> {
    return this.people.keys();
  }

  /**
   * The distinct people who could cast a vote for any of `approvers`, leaving out `exclude`
   * (the requesters: no self-approval, also not by proxy). A delegate votes in place of the
   * person they stand in for and uses up that person's vote, so stand-ins add no one here.
   */
  possibleVoters(approvers: readonly string[], exclude: ReadonlySet<string>): string[] {
    const out = new Set<string>();
    for (const o of approvers) for (const u of this.usersOf(o)) if (!exclude.has(u)) out.add(u);
    return [...out];
  }

  /** May `user` act as `owner`? The user itself, a member or the manager of the team, or a holder of the role. */
  actsFor(user: string, owner: string): boolean {
    const o = parseOwner(owner);
    if (!o) return false;
    switch (o.kind) {
      case 'user':
        return o.id === user;
      case 'team': {
        const t = this.teams.get(o.id);
        return !!t && (t.members.includes(user) || t.manager === user);
      }
      case 'role':
        return this.people.get(user)?.roles.includes(o.id) ?? false;
      default:
        return false;
    }
  }

  /** The users an owner stands for (to notify them). */
  usersOf(owner: string): string[] {
    const o = parseOwner(owner);
    if (!o) return [];
    if (o.kind === 'user') return [o.id];
    if (o.kind === 'team') {
      const t = this.teams.get(o.id);
      return t ? [...new Set([...t.members, ...(t.manager ? [t.manager] : [])])] : [];
    }
    if (o.kind === 'role')
      return [...this.people.values()].filter((p) => p.roles.includes(o.id)).map((p) => p.id);
    return [];
  }

  /** Every owner ref a user may act for: itself, its teams, its roles (for inbox and task views). */
  ownersOf(user: string): string[] {
    const out = [`user:${user}`];
    for (const t of this.teams.values())
      if (t.members.includes(user) || t.manager === user) out.push(`team:${t.id}`);
    for (const r of this.people.get(user)?.roles ?? []) out.push(`role:${r}`);
    return out;
  }

  /** `to: manager` on a ladder: a team's manager, or the manager of a user's first team. */
  managerOf(owner: string): OwnerRef | undefined {
    const o = parseOwner(owner);
    if (!o) return undefined;
    if (o.kind === 'team') {
      const m = this.teams.get(o.id)?.manager;
      return m ? `user:${m}` : undefined;
    }
    if (o.kind === 'user') {
      for (const t of this.teams.values()) {
        if (t.members.includes(o.id) && t.manager && t.manager !== o.id) return `user:${t.manager}`;
      }
    }
    return undefined;
  }
}
