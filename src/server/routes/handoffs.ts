// Intake and reading handoffs.
import { BatonError } from '../../core/errors.ts';
import { intakeActor } from '../auth.ts';
import { defineRoute, type Route } from '../route.ts';
import {
  flowParams,
  handoffPage,
  handoffView,
  idParams,
  intakeBody,
  intakeResponse,
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
      tag: 'handoffs',
      summary: 'Create a handoff (intake)',
      description:
        "The body is the input, checked against the flow's input schema. The answer is 202 once the " +
        'handoff is durable. The same idempotency key returns the same handoff, also 202, with ' +
        '`created: false`.',
      params: flowParams,
      body: intakeBody,
      bodyCheckedByHandler: true,
      status: 202,
      response: { description: 'Accepted (durable)', schema: intakeResponse },
      errors: [404],
      async handler({ params, body, caller, baton, reply }) {
        // The flow's input schema checks the fields; only the outer shape is checked here.
        if (!isObject(body)) {
          throw new BatonError('validation_failed', 'The body must be a JSON object: the handoff input', {
            details: [{ path: 'input', message: body === undefined ? 'is required' : 'must be an object' }],
          });
        }
        const r = await baton.send(params.flow, body, intakeActor(caller));
        reply.header('location', `/v1/handoffs/${r.id}`);
        return r;
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/v1/handoffs',
      access: 'read',
      tag: 'handoffs',
      summary: 'List handoffs, newest first',
      query: listQuery,
      response: { description: 'One page; pass nextCursor as cursor for the next', schema: handoffPage },
      async handler({ query, baton }) {
        return baton.list(query);
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/v1/handoffs/:id',
      access: 'read',
      tag: 'handoffs',
      summary: 'A handoff with its actions, approvals, ownership ledger and events',
      params: idParams,
      response: { description: 'The handoff', schema: handoffView },
      errors: [404],
      async handler({ params, baton }) {
        return baton.get(params.id);
      },
    }),
  ];
}
