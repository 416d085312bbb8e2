// The inbox's items: approvals to decide and work to accept, in one list so the keyboard walks
// both, each placed under mine, my teams or my roles by the owner it came through.
import type { Waiting } from '../../api/types.ts';

export type WaitingApproval = Waiting['approvals'][number];
export type WaitingHandoff = Waiting['handoffs'][number];

export type Item =
  | { key: string; kind: 'approval'; as: string; approval: WaitingApproval }
  | { key: string; kind: 'handoff'; as: string; handoff: WaitingHandoff };

export const TABS = [
  ['all', 'All'],
  ['mine', 'Mine'],
  ['teams', 'My teams'],
  ['roles', 'My roles'],
] as const;
export type Tab = (typeof TABS)[number][0];

export function tabOf(as: string): Exclude<Tab, 'all'> {
  if (as.startsWith('team:')) return 'teams';
  if (as.startsWith('role:')) return 'roles';
  return 'mine';
}

export function itemsOf(w: Waiting | undefined): Item[] {
  if (!w) return [];
  return [
    ...w.approvals.map((a): Item => ({ key: `approval:${a.id}`, kind: 'approval', as: a.as, approval: a })),
    ...w.handoffs.map((h): Item => ({ key: `handoff:${h.id}`, kind: 'handoff', as: h.as, handoff: h })),
  ];
}

export const handoffIdOf = (i: Item) => (i.kind === 'approval' ? i.approval.handoffId : i.handoff.id);
