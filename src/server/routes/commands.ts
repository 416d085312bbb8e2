// People's commands on a handoff. Each needs a token (401 before any lookup); the service checks
// that the caller owns the work (or has operator access) and that the transition is allowed.
import { callerInfo } from '../auth.ts';
import { requireHandoff } from '../reach.ts';
import { defineRoute, type Route } from '../route.ts';
import {
  actionParams,
  amendBody,
  commentBody,
  handoffView,
  idParams,
  observedBody,
  reassignBody,
  reasonBody,
  resolveBody,
} from '../schemas.ts';

const response = { description: 'The handoff after the command', schema: handoffView };
const errors = [404, 409];

export function commandRoutes(): Route[] {
  return [
    defineRoute({
      method: 'POST',
      url: '/v1/handoffs/:id/accept',
      access: 'act',
      scoped: 'checked',
      tag: 'commands',
      summary: 'Accept work handed to you (or to your team or role)',
      params: idParams,
      body: commentBody,
      response,
      errors,
      async handler({ params, body, caller, baton }) {
        await requireHandoff(baton, caller, params.id);
        return baton.accept(params.id, callerInfo(caller), body.comment);
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/v1/handoffs/:id/decline',
      access: 'act',
      scoped: 'checked',
      tag: 'commands',
      summary: 'Decline before accepting: the work goes to the fallback owner (rework)',
      params: idParams,
      body: reasonBody,
      response,
      errors,
      async handler({ params, body, caller, baton }) {
        await requireHandoff(baton, caller, params.id);
        return baton.decline(params.id, callerInfo(caller), body.reason, body.comment);
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/v1/handoffs/:id/return',
      access: 'act',
      scoped: 'checked',
      tag: 'commands',
      summary: 'Send accepted work back (rework, with a typed reason)',
      params: idParams,
      body: reasonBody,
      response,
      errors,
      async handler({ params, body, caller, baton }) {
        await requireHandoff(baton, caller, params.id);
        return baton.giveBack(params.id, callerInfo(caller), body.reason, body.comment);
      },
    }),
    defineRoute({
      method: 'PATCH',
      url: '/v1/handoffs/:id/input',
      access: 'amend',
      scoped: 'checked',
      tag: 'commands',
      summary: 'Amend the input (its sender, owner or an operator): Baton decides again',
      description:
        'For a handoff that is escalated, returned or failed before any of its actions was planned ' +
        '(e.g. escalated for contract_unmet): the patch is merged into the input, checked against the ' +
        "flow's schema, recorded (an `amended` event and the ownership ledger), and the handoff goes " +
        'back to Baton: context, decision and contract again. The idempotency key may not change.',
      params: idParams,
      body: amendBody,
      response,
      errors: [...errors, 422],
      async handler({ params, body, caller, baton }) {
        await requireHandoff(baton, caller, params.id);
        return baton.amend(params.id, callerInfo(caller), body.input, body.comment);
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/v1/handoffs/:id/reassign',
      access: 'act',
      scoped: 'checked',
      tag: 'commands',
      summary: 'Hand the work to another owner (operators: any handoff)',
      params: idParams,
      body: reassignBody,
      response,
      errors,
      async handler({ params, body, caller, baton }) {
        await requireHandoff(baton, caller, params.id);
        return baton.reassign(params.id, callerInfo(caller), body.to, body.comment);
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/v1/handoffs/:id/complete',
      access: 'act',
      scoped: 'checked',
      tag: 'commands',
      summary: 'Mark the work done',
      params: idParams,
      body: commentBody,
      response,
      errors,
      async handler({ params, body, caller, baton }) {
        await requireHandoff(baton, caller, params.id);
        return baton.complete(params.id, callerInfo(caller), body.comment);
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/v1/handoffs/:id/cancel',
      access: 'act',
      scoped: 'checked',
      tag: 'commands',
      summary: 'Cancel the handoff (operators: any handoff)',
      params: idParams,
      body: commentBody,
      response,
      errors,
      async handler({ params, body, caller, baton }) {
        await requireHandoff(baton, caller, params.id);
        return baton.cancel(params.id, callerInfo(caller), body.comment);
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/v1/handoffs/:id/rollback',
      access: 'act',
      scoped: 'checked',
      tag: 'commands',
      summary: 'Undo the actions that ran, newest first (operators: any handoff)',
      params: idParams,
      body: commentBody,
      response,
      errors,
      async handler({ params, body, caller, baton }) {
        await requireHandoff(baton, caller, params.id);
        return baton.rollback(params.id, callerInfo(caller), body.comment);
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/v1/handoffs/:id/retry',
      access: 'act',
      scoped: 'checked',
      tag: 'commands',
      summary: 'Run the failed actions of a failed handoff again',
      params: idParams,
      body: commentBody,
      response,
      errors,
      async handler({ params, body, caller, baton }) {
        await requireHandoff(baton, caller, params.id);
        return baton.retry(params.id, callerInfo(caller), body.comment);
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/v1/handoffs/:id/actions/:action/resolve',
      access: 'act',
      scoped: 'checked',
      tag: 'commands',
      summary: 'Settle an action whose outcome is unknown (or that failed)',
      description:
        'After checking the target system: `succeeded` (it did happen), `failed`, or `retry` (run it again).',
      params: actionParams,
      body: resolveBody,
      response,
      errors,
      async handler({ params, body, caller, baton }) {
        await requireHandoff(baton, caller, params.id);
        return baton.resolve(params.id, params.action, callerInfo(caller), body.outcome, body.comment);
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/v1/handoffs/:id/observed',
      access: 'operate',
      scoped: 'checked',
      tag: 'commands',
      summary: 'Shadow mode: record where people actually routed the work',
      params: idParams,
      body: observedBody,
      response,
      errors,
      async handler({ params, body, caller, baton }) {
        await requireHandoff(baton, caller, params.id);
        return baton.observed(params.id, callerInfo(caller), body.owner);
      },
    }),
  ];
}
