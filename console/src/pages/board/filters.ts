// The board's filters live in the URL query (so a link or a reload shows the same board), and
// saved views are named filter sets in localStorage. Only filters are kept there: never a token.
import { HANDOFF_STATES, TERMINAL_STATES } from '../../../../src/core/types.ts';

// The engine's states less the terminal ones, so the board's list cannot drift from the engine's.
export const OPEN_STATES = HANDOFF_STATES.filter((s) => !TERMINAL_STATES.has(s));

export const QUEUES = ['unassigned', 'escalated', 'failed', 'outcome_unknown'] as const;
export type Queue = (typeof QUEUES)[number];

export const QUEUE_LABELS: Record<Queue, string> = {
  unassigned: 'Unassigned',
  escalated: 'Escalated',
  failed: 'Failed',
  outcome_unknown: 'Outcome unknown',
};

export interface BoardFilters {
  flow?: string;
  boundary?: string;
  state?: string;
  owner?: string;
  /** A queue shown instead of the owner columns. */
  queue?: Queue;
}

const KEYS = ['flow', 'boundary', 'state', 'owner', 'queue'] as const;
const OWNER = /^(user|team|role|agent):\S+$/;
const BOUNDARY = /^[^\s>]+->\S+$/;

/** What the URL says, keeping only values the server would accept (a bad link shows all). */
export function readFilters(params: URLSearchParams): BoardFilters {
  const f: BoardFilters = {};
  const flow = params.get('flow')?.trim();
  if (flow) f.flow = flow;
  const boundary = params.get('boundary')?.trim();
  if (boundary && BOUNDARY.test(boundary)) f.boundary = boundary;
  const state = params.get('state');
  if (state && (OPEN_STATES as readonly string[]).includes(state)) f.state = state;
  const owner = params.get('owner')?.trim();
  if (owner && OWNER.test(owner)) f.owner = owner;
  const queue = params.get('queue');
  if (queue && (QUEUES as readonly string[]).includes(queue)) f.queue = queue as Queue;
  return f;
}

export function toParams(f: BoardFilters): URLSearchParams {
  const p = new URLSearchParams();
  for (const k of KEYS) {
    const v = f[k];
    if (v) p.set(k, v);
  }
  return p;
}

export const isOwnerRef = (text: string): boolean => OWNER.test(text.trim());

/** The server's query for counts and lists: the filters without the queue. */
export function serverQuery(f: BoardFilters): Record<string, string> {
  const q: Record<string, string> = {};
  if (f.flow) q.flow = f.flow;
  if (f.boundary) q.boundary = f.boundary;
  if (f.state) q.state = f.state;
  if (f.owner) q.owner = f.owner;
  return q;
}

export const sameFilters = (a: BoardFilters, b: BoardFilters): boolean =>
  KEYS.every((k) => (a[k] ?? '') === (b[k] ?? ''));

// ---- saved views

export interface SavedView {
  name: string;
  filters: BoardFilters;
}

const STORAGE_KEY = 'baton.board.views';

export function loadViews(): SavedView[] {
  try {
    const raw: unknown = JSON.parse(localStorage.getItem(STORAGE_KEY) ?? '[]');
    if (!Array.isArray(raw)) return [];
    return raw.flatMap((v: unknown) => {
      if (!v || typeof v !== 'object') return [];
      const { name, filters } = v as { name?: unknown; filters?: unknown };
      if (typeof name !== 'string' || !filters || typeof filters !== 'object') return [];
      // Re-read through the URL rules: whatever was stored, only known filters come back.
      const params = new URLSearchParams();
      for (const k of KEYS) {
        const value = (filters as Record<string, unknown>)[k];
        if (typeof value === 'string') params.set(k, value);
      }
      return [{ name, filters: readFilters(params) }];
    });
  } catch {
    return [];
  }
}

export function saveViews(views: readonly SavedView[]): void {
  const clean = views.map((v) => ({ name: v.name, filters: readFilters(toParams(v.filters)) }));
  localStorage.setItem(STORAGE_KEY, JSON.stringify(clean));
}
