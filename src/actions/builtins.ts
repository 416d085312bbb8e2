// Built-in actions and context sources: they need no external system. Tasks, tickets, drafts and
// notifications live in Baton's own store (GET /v1/tasks, /v1/inbox) and are written in the same
// transaction as the step that caused them.
import { z } from 'zod';
import type { ContextSource, InternalAction, InternalEffects } from './define.ts';
import type { TaskRecord } from '../core/types.ts';
import type { Tables } from './tables.ts';

const cancelTasks = async (fx: InternalEffects, ids: string[]): Promise<void> => {
  for (const t of await fx.tasksOf()) {
    if (ids.includes(t.id) && t.state === 'open') fx.addTask({ ...t, state: 'cancelled' });
  }
};

const taskIdOf = (result: unknown): string[] =>
  result && typeof result === 'object' && 'taskId' in result ? [String(result.taskId)] : [];

function task(
  fx: InternalEffects,
  t: Omit<TaskRecord, 'id' | 'handoffId' | 'state' | 'createdAt'>,
): { taskId: string } {
  const id = fx.newId('task_');
  fx.addTask({ id, handoffId: fx.handoffId, state: 'open', createdAt: fx.now, ...t });
  return { taskId: id };
}

const createTask: InternalAction<{
  title: string;
  assignee?: string | undefined;
  body?: string | undefined;
  due?: string | undefined;
}> = {
  id: 'builtin.create_task',
  description:
    "Creates a task in Baton's task list, assigned to the decided owner unless `assignee` is given",
  params: z.object({
    title: z.string().min(1),
    assignee: z.string().optional(),
    body: z.string().optional(),
    due: z.string().optional(),
  }),
  risk: 'low',
  internal: true,
  apply: (p, fx) =>
    task(fx, {
      kind: 'task',
      title: p.title,
      assignee: p.assignee || fx.owner,
      ...(p.body ? { body: p.body } : {}),
      ...(p.due ? { data: { due: p.due } } : {}),
    }),
  undo: (_p, result, fx) => cancelTasks(fx, taskIdOf(result)),
};

const notifyOwner: InternalAction<{ text: string; owner?: string | undefined }> = {
  id: 'builtin.notify_owner',
  description: "Puts a notification in the owner's Baton inbox",
  params: z.object({ text: z.string().min(1), owner: z.string().optional() }),
  risk: 'low',
  internal: true,
  apply: (p, fx) => {
    const id = fx.newId('msg_');
    fx.addInbox({
      id,
      owner: p.owner || fx.owner,
      handoffId: fx.handoffId,
      kind: 'notification',
      text: p.text,
      createdAt: fx.now,
    });
    return { messageId: id };
  },
};

const routeTicket: InternalAction<{
  queue: string;
  title: string;
  priority?: 'low' | 'normal' | 'high' | 'urgent' | undefined;
  body?: string | undefined;
}> = {
  id: 'builtin.route_ticket',
  description: 'Files a ticket in a queue (an owner such as team:tier2) with a priority',
  params: z.object({
    queue: z.string().min(1),
    title: z.string().min(1),
    priority: z.enum(['low', 'normal', 'high', 'urgent']).optional(),
    body: z.string().optional(),
  }),
  risk: 'low',
  internal: true,
  apply: (p, fx) =>
    task(fx, {
      kind: 'ticket',
      title: p.title,
      assignee: p.queue,
      ...(p.body ? { body: p.body } : {}),
      data: { priority: p.priority ?? 'normal' },
    }),
  undo: (_p, result, fx) => cancelTasks(fx, taskIdOf(result)),
};

const draftReply: InternalAction<{ body: string; to?: string | undefined; subject?: string | undefined }> = {
  id: 'builtin.draft_reply',
  description: 'Drafts a reply from a template (the `body`, with ${…} interpolation) for a person to send',
  params: z.object({ body: z.string().min(1), to: z.string().optional(), subject: z.string().optional() }),
  risk: 'low',
  internal: true,
  apply: (p, fx) =>
    task(fx, {
      kind: 'draft',
      title: p.subject ?? 'Reply draft',
      body: p.body,
      assignee: fx.owner,
      data: { ...(p.to ? { to: p.to } : {}), status: 'proposed' },
    }),
  undo: (_p, result, fx) => cancelTasks(fx, taskIdOf(result)),
};

export const BUILTIN_ACTIONS: InternalAction<never>[] = [
  createTask,
  notifyOwner,
  routeTicket,
  draftReply,
] as never[];

/**
 * `builtin.value`: the value of `with.value`, rendered. A fallback for a connector's source
 * where the intake payload already carries what it would read (or `null`: nothing known).
 */
export const valueSource: ContextSource<{ value?: unknown }> = {
  id: 'builtin.value',
  description: 'The value given in `with.value` (rendered): a fallback where no system is configured',
  params: z.object({ value: z.unknown() }),
  trust: 'trusted',
  fetch: (p) => p.value ?? null,
};

/** `builtin.lookup`: the first row of a project table whose columns equal `where`. */
export function lookupSource(
  tables: Tables,
): ContextSource<{ table: string; where: Record<string, unknown> }> {
  return {
    id: 'builtin.lookup',
    params: z.object({ table: z.string().min(1), where: z.record(z.string(), z.unknown()) }),
    trust: 'trusted',
    fetch: (p) => tables.find(p.table, p.where),
  };
}
