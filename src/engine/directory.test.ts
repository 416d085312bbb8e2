import { describe, expect, it } from 'vitest';
import { delegationHolds, parseInstant } from '../core/delegation.ts';
import { projectSchema } from '../core/project-schema.ts';
import { Directory } from './directory.ts';

const def = projectSchema.parse({
  people: [
    { id: 'dana', roles: ['cfo'] },
    { id: 'sam', roles: ['sales-manager'] },
    { id: 'kim' },
    { id: 'lee', roles: ['sales-manager'] },
    { id: 'tom' },
  ],
  teams: [
    { id: 'sales', members: ['kim', 'lee', 'sam'], manager: 'sam' },
    { id: 'leads', members: ['sam'], manager: 'dana' },
    { id: 'solo', members: ['tom'] },
  ],
  delegations: [
    { from: 'sam', to: 'tom', since: '2026-12-20', until: '2026-12-24' },
    { from: 'dana', to: 'kim', until: '2026-12-24T12:00:00Z', flows: ['invoice'] },
  ],
});
const d = new Directory(def);
const at = (iso: string) => Date.parse(iso);

describe('Directory', () => {
  it('a role: queue is accepted by any holder of the role, and nobody else', () => {
    expect(d.actsFor('sam', 'role:sales-manager')).toBe(true);
    expect(d.actsFor('lee', 'role:sales-manager')).toBe(true);
    expect(d.actsFor('kim', 'role:sales-manager')).toBe(false);
    expect(d.usersOf('role:sales-manager')).toEqual(['sam', 'lee']);
    expect(d.actsFor('nobody', 'role:sales-manager')).toBe(false);
  });

  it("`to: manager` resolves through the team's manager", () => {
    expect(d.managerOf('team:sales')).toBe('user:sam');
    expect(d.managerOf('user:kim')).toBe('user:sam');
    // sam manages sales; his own manager is the one of the next team that lists him.
    expect(d.managerOf('user:sam')).toBe('user:dana');
    expect(d.managerOf('team:solo')).toBeUndefined();
    expect(d.managerOf('user:tom')).toBeUndefined();
    expect(d.managerOf('role:cfo')).toBeUndefined();
  });

  it('delegations hold in their window (a date is the whole UTC day) and for their flows', () => {
    expect(d.standsInFor('tom', 'any', at('2026-12-19T23:59:59Z'))).toEqual([]);
    expect(d.standsInFor('tom', 'any', at('2026-12-20T00:00:00Z'))).toEqual(['sam']);
    expect(d.standsInFor('tom', 'any', at('2026-12-24T23:59:59Z'))).toEqual(['sam']);
    expect(d.standsInFor('tom', 'any', at('2026-12-25T00:00:00Z'))).toEqual([]);
    expect(d.standsInFor('kim', 'invoice', at('2026-12-24T11:59:00Z'))).toEqual(['dana']);
    expect(d.standsInFor('kim', 'invoice', at('2026-12-24T12:00:00Z'))).toEqual([]);
    expect(d.standsInFor('kim', 'leads', at('2026-12-01T00:00:00Z'))).toEqual([]);
    expect(d.delegatesOf('sam', 'any', at('2026-12-21T00:00:00Z'))).toEqual(['tom']);
  });

  it('standing: own right first, else for an absent person who acts for the owner', () => {
    const now = at('2026-12-21T00:00:00Z');
    expect(d.standing('lee', 'role:sales-manager', 'f', now)).toEqual({});
    expect(d.standing('tom', 'role:sales-manager', 'f', now)).toEqual({ for: 'sam' });
    expect(d.standing('tom', 'team:solo', 'f', now)).toEqual({});
    expect(d.standing('tom', 'role:sales-manager', 'f', now, new Set(['sam']))).toBeUndefined();
    expect(d.standing('kim', 'role:cfo', 'invoice', now)).toEqual({ for: 'dana' });
    expect(d.standing('kim', 'role:cfo', 'other', now)).toBeUndefined();
  });
});

describe('delegation times', () => {
  it('parses dates and zoned ISO times, refusing the rest', () => {
    expect(parseInstant('2026-12-24')).toBe(at('2026-12-24T00:00:00Z'));
    expect(parseInstant('2026-12-24T18:30:00+02:00')).toBe(at('2026-12-24T16:30:00Z'));
    for (const bad of ['2026-02-30', '2026-12-24T18:30', 'tomorrow', '24/12/2026', ''])
      expect([bad, parseInstant(bad)]).toEqual([bad, undefined]);
    expect(
      delegationHolds({ from: 'a', to: 'b', until: '2026-01-01' }, at('2025-06-01T00:00:00Z'), 'f'),
    ).toBe(true);
  });
});
