// The built-in task list and inbox, by owner: a user id means everything that user acts for
// (itself, its teams and roles); a queue (team:…, role:…) means that queue only.
import { BatonError } from '../../core/errors.ts';
import { parseOwner } from '../../core/owner.ts';
import type { BatonApi } from '../../service/api.ts';
import { callerUser, reachList, type Caller } from '../auth.ts';
import { keepReached } from '../reach.ts';
import { defineRoute, type Route } from '../route.ts';
import { inboxList, ownerQuery, taskList, tasksQuery, waitingList } from '../schemas.ts';

type Who = { user: string | undefined } | { queue: string };

function who(baton: BatonApi, owner: string | undefined, caller: Caller): Who {
  if (owner === undefined) return { user: callerUser(caller) };
  const ref = parseOwner(owner);
  if (ref && (ref.kind === 'team' || ref.kind === 'role')) return { queue: owner };
  const user = ref?.kind === 'user' ? ref.id : owner;
  if (ref?.kind === 'agent' || !baton.directory.hasUser(user)) {
    throw new BatonError('validation_failed', `owner ${owner} is not a person or queue of this project`, {
      details: [{ path: 'owner', message: 'a user id declared in baton.yaml, or team:<id> / role:<id>' }],
    });
  }
  return { user };
}

export function taskRoutes(): Route[] {
  return [
    defineRoute({
      method: 'GET',
      url: '/v1/tasks',
      access: 'read',
      scoped: 'checked',
      tag: 'work',
      summary: "Tasks (built-in task list); default: the caller's (all for anonymous callers)",
      query: tasksQuery,
      response: { description: 'Tasks', schema: taskList },
      async handler({ query, caller, baton }) {
        const w = who(baton, query.owner, caller);
        const items =
          'queue' in w
            ? await baton.queueTasks(w.queue, query.state)
            : await baton.tasks(w.user, query.state);
        return { items: await keepReached(baton, caller, items) };
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/v1/inbox',
      access: 'read',
      scoped: 'checked',
      tag: 'work',
      summary: "Inbox messages (handoffs, reminders, approvals); default: the caller's",
      query: ownerQuery,
      response: { description: 'Inbox messages', schema: inboxList },
      async handler({ query, caller, baton }) {
        const w = who(baton, query.owner, caller);
        const items = 'queue' in w ? await baton.queueInbox(w.queue) : await baton.inbox(w.user);
        return { items: await keepReached(baton, caller, items) };
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/v1/inbox/waiting',
      access: 'read',
      scoped: 'checked',
      tag: 'work',
      summary: 'What waits for the caller: approvals to decide, work to accept',
      description:
        'Pending approvals the caller may vote on now (as an approver of the current level, or ' +
        'standing in for one), with the approvals the level still needs and who else could give ' +
        'them; and handoffs handed to the caller, its teams or roles that wait for acceptance. Each ' +
        'names the owner it came through (`as`); up to 200 handoffs per owner and state. An ' +
        'anonymous caller has nothing waiting.',
      response: { description: 'What waits', schema: waitingList },
      async handler({ caller, baton }) {
        const user = callerUser(caller);
        if (user === undefined || !baton.directory.hasUser(user))
          return { user: user ?? null, owners: [], approvals: [], handoffs: [] };
        return baton.waiting(user, reachList(caller));
      },
    }),
  ];
}
