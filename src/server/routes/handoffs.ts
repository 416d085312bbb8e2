// Intake and reading handoffs.
import { BatonError } from '../../core/errors.ts';
import { callerInfo, intakeActor, reachList } from '../auth.ts';
import { requireFlow, requireHandoff } from '../reach.ts';
import { defineRoute, type Route } from '../route.ts';
import {
  flowParams,
  handoffCommands,
  handoffPage,
  handoffView,
  idParams,
  intakeBody,
  intakeQuery,
  intakeResponse,
  keyParams,
  listQuery,
} from '../schemas.ts';

const isObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

export function handoffRoutes(): Route[] {
  return [
    defineRoute({
      method: 'POST',
      url: '/v1/flows/:flow/handoffs',
      access: 'intake',
      scoped: 'checked',
      tag: 'handoffs',
      summary: 'Create a handoff (intake)',
      description:
        "The body is the input, checked against the flow's input schema. The answer is 202 once the " +
        'handoff is durable. The same idempotency key returns the same handoff, also 202, with ' +
        '`created: false`. A flow whose triggers do not include `webhook` (only `manual`) answers ' +
        '409 `trigger_not_enabled` unless a person hands the work over (`?trigger=manual`, with a token: 401 without).',
      params: flowParams,
      query: intakeQuery,
      body: intakeBody,
      bodyCheckedByHandler: true,
      status: 202,
      response: {
        description: 'Accepted (durable)',
        schema: intakeResponse,
        headers: { Location: { description: 'The handoff: /v1/handoffs/{id}', required: true } },
      },
      errors: [404, 409],
      async handler({ params, query, body, caller, baton, reply }) {
        // The flow's input schema checks the fields; only the outer shape is checked here.
        if (!isObject(body)) {
          throw new BatonError('validation_failed', 'The body must be a JSON object: the handoff input', {
            details: [{ path: 'input', message: body === undefined ? 'is required' : 'must be an object' }],
          });
        }
        requireFlow(caller, params.flow);
        // `manual` says a person hands the work over: only a token names one. Anonymous intake is
        // a webhook call whatever its query says, so a manual-only flow stays closed to it.
        const anonymousManual = query.trigger === 'manual' && caller.kind !== 'token';
        const r = await baton
          .send(params.flow, body, intakeActor(caller), anonymousManual ? 'webhook' : query.trigger)
          .catch((e: unknown) => {
            if (anonymousManual && e instanceof BatonError && e.code === 'trigger_not_enabled') {
              throw new BatonError(
                'unauthorized',
                'trigger=manual means a person hands the work over: send it with a token (BATON_TOKEN for baton send)',
              );
            }
            throw e;
          });
        reply.header('location', `/v1/handoffs/${r.id}`);
        return r;
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/v1/flows/:flow/handoffs/:key',
      access: 'read',
      scoped: 'checked',
      tag: 'handoffs',
      summary: "A handoff by its flow's idempotency key (the id its sender used)",
      description:
        'The same answer as GET /v1/handoffs/{id}, found by the key the flow computes from the input ' +
        '(`idempotencyKey`); for a flow without one the key is the handoff id.',
      params: keyParams,
      response: { description: 'The handoff', schema: handoffView },
      errors: [404],
      async handler({ params, caller, baton }) {
        requireFlow(caller, params.flow);
        return baton.getByKey(params.flow, params.key);
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/v1/handoffs',
      access: 'read',
      scoped: 'checked',
      tag: 'handoffs',
      summary: 'List handoffs, newest first (a scoped token sees its flows only)',
      query: listQuery,
      response: { description: 'One page; pass nextCursor as cursor for the next', schema: handoffPage },
      async handler({ query, caller, baton }) {
        const flows = reachList(caller);
        return baton.list(flows ? { ...query, flows } : query);
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/v1/handoffs/:id',
      access: 'read',
      scoped: 'checked',
      tag: 'handoffs',
      summary: 'A handoff with its actions, approvals, ownership ledger and events',
      params: idParams,
      response: { description: 'The handoff', schema: handoffView },
      errors: [404],
      async handler({ params, caller, baton }) {
        await requireHandoff(baton, caller, params.id);
        return baton.get(params.id);
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/v1/handoffs/:id/commands',
      access: 'read',
      scoped: 'checked',
      tag: 'handoffs',
      summary: 'What the caller may do to the handoff now, and which of its actions a rollback undoes',
      description:
        'Each command is tried on a copy of the handoff with the checks the command itself runs ' +
        '(state, ownership, delegation, operator access, approver rights), so a console shows only ' +
        'the buttons that will work; `why` carries the refusal a call would get. An anonymous ' +
        'caller may do nothing.',
      params: idParams,
      response: { description: 'The commands and their verdicts', schema: handoffCommands },
      errors: [404],
      async handler({ params, caller, baton }) {
        await requireHandoff(baton, caller, params.id);
        return baton.permitted(params.id, caller.kind === 'token' ? callerInfo(caller) : undefined);
      },
    }),
  ];
}
