// The dead-letter list of intake (what a trigger received and could not turn into a handoff),
// its replays, and each flow's triggers with when they last fired. Reading needs read access;
// replaying or dropping an entry changes what happens to work, so it needs operator access.
import { BatonError } from '../../core/errors.ts';
import { inReach, reachList, callerInfo } from '../auth.ts';
import { requireFlow } from '../reach.ts';
import { defineRoute, type Route } from '../route.ts';
import type { BatonApi } from '../../service/api.ts';
import type { Caller } from '../auth.ts';
import {
  failureList,
  failureParams,
  failureQuery,
  failureView,
  replayAnswer,
  triggerList,
} from '../intake-schemas.ts';
import { failureToView } from '../../service/intake-view.ts';

/** The entry, or 404 when it does not exist or lies outside the caller's reach. */
async function reachedFailure(baton: BatonApi, caller: Caller, id: string) {
  const f = await baton.intakeFailure(id);
  if (!inReach(caller, f.flow))
    throw new BatonError('not_found', `no intake failure ${id} (baton intake failed lists them)`);
  return f;
}

export function intakeRoutes(): Route[] {
  return [
    defineRoute({
      method: 'GET',
      url: '/v1/intake/failed',
      access: 'read',
      scoped: 'checked',
      tag: 'intake',
      summary: 'The dead-letter list: what arrived and could not become a handoff, with the reason',
      description:
        'Newest first. Each entry keeps the raw payload, the reason (unparseable, map_failed, invalid_input, ' +
        'too_large, idempotency_conflict, not_accepted) and the details; a redelivery of the same thing is the ' +
        'same entry, seen again. Fix the flow, then replay it (`POST /v1/intake/failed/{id}/replay`).',
      query: failureQuery,
      response: { description: 'Entries', schema: failureList },
      async handler({ query, caller, baton }) {
        if (query.flow !== undefined) requireFlow(caller, query.flow);
        const before = query.before === undefined ? undefined : Date.parse(query.before);
        if (before !== undefined && Number.isNaN(before))
          throw new BatonError('validation_failed', 'before is not a time', {
            details: [{ path: 'query.before', message: 'an ISO 8601 time, e.g. 2026-12-01T10:00:00Z' }],
          });
        const reach = reachList(caller);
        const items = await baton.intakeFailures({
          ...(query.flow !== undefined ? { flow: query.flow } : {}),
          ...(reach ? { flows: reach } : {}),
          ...(query.state !== 'all' ? { state: query.state } : {}),
          ...(before !== undefined ? { before } : {}),
          limit: query.limit,
        });
        return { items: items.map((f) => failureToView(f)) };
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/v1/intake/failed/:id',
      access: 'read',
      scoped: 'checked',
      tag: 'intake',
      summary: 'One dead-letter entry, with its payload as it arrived',
      params: failureParams,
      response: { description: 'The entry', schema: failureView },
      errors: [404],
      async handler({ params, caller, baton }) {
        return failureToView(await reachedFailure(baton, caller, params.id), true);
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/v1/intake/failed/:id/replay',
      access: 'operate',
      scoped: 'checked',
      tag: 'intake',
      summary: 'Run a kept delivery again against the flow as it is now',
      description:
        'Made or found a handoff: the entry is marked replayed with it. Failed again: the entry stays failed with ' +
        'the new reason (200 with outcome `failed`). Only a failed entry can be replayed (409 otherwise).',
      params: failureParams,
      response: { description: 'What the replay did', schema: replayAnswer },
      errors: [404, 409],
      async handler({ params, caller, baton }) {
        await reachedFailure(baton, caller, params.id);
        const { result, failure } = await baton.replayIntake(params.id, callerInfo(caller).user);
        return {
          outcome: result.outcome,
          ...('handoffId' in result ? { handoffId: result.handoffId } : {}),
          ...(result.outcome === 'failed' ? { reason: result.reason, message: result.message } : {}),
          failure: failureToView(failure),
        };
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/v1/intake/failed/:id/drop',
      access: 'operate',
      scoped: 'checked',
      tag: 'intake',
      summary: 'Give up on a kept delivery: it stays listed as dropped and is not replayed',
      params: failureParams,
      response: { description: 'The entry', schema: failureView },
      errors: [404, 409],
      async handler({ params, caller, baton }) {
        await reachedFailure(baton, caller, params.id);
        return failureToView(await baton.dropIntake(params.id, callerInfo(caller).user));
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/v1/intake/triggers',
      access: 'read',
      scoped: 'checked',
      tag: 'intake',
      summary: "Each flow's triggers: live or not, where each listens, when it last fired",
      response: { description: 'Triggers by flow', schema: triggerList },
      async handler({ caller, baton }) {
        return { items: (await baton.triggers()).filter((t) => inReach(caller, t.flow)) };
      },
    }),
  ];
}
