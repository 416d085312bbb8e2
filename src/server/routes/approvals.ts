// Approval gates: list them, and approve or reject. The right to approve comes only from the
// flow's approvers (checked by the service), never from the token's access level.
import { callerInfo, reachList } from '../auth.ts';
import { requireApproval } from '../reach.ts';
import { defineRoute, type Route } from '../route.ts';
import { approvalList, approvalsQuery, decideBody, decideResponse, idParams } from '../schemas.ts';
import { approvalView } from '../../service/views.ts';

export function approvalRoutes(): Route[] {
  return [
    defineRoute({
      method: 'GET',
      url: '/v1/approvals',
      access: 'read',
      scoped: 'checked',
      tag: 'approvals',
      summary: 'Approvals, oldest request first (filter: state, handoff)',
      query: approvalsQuery,
      response: { description: 'The approvals', schema: approvalList },
      async handler({ query, caller, baton }) {
        const flows = reachList(caller);
        if (!flows) return { items: await baton.approvals(query.state, query.handoff) };
        const items = await baton.store.approvals({
          ...(query.state ? { state: query.state } : {}),
          ...(query.handoff ? { handoffId: query.handoff } : {}),
          flows,
        });
        return { items: items.map(approvalView) };
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/v1/approvals/:id',
      access: 'act',
      scoped: 'checked',
      tag: 'approvals',
      summary: 'Approve or reject',
      description:
        'The id is an approval id, or a handoff id with exactly one pending approval. Suggest mode ' +
        'confirmations are approvals of kind `decision`; `edits.owner` corrects the routing. ' +
        '403 when the caller is not an approver of the current level or requested the handoff; ' +
        '409 already_decided when it is closed.',
      params: idParams,
      body: decideBody,
      response: {
        description: 'The approval after the vote, and where the handoff stands',
        schema: decideResponse,
      },
      errors: [404, 409],
      async handler({ params, body, caller, baton }) {
        await requireApproval(baton, caller, params.id);
        const r = await baton.decide(params.id, callerInfo(caller), body.decision, body.comment, body.edits);
        return { ...r, approval: approvalView(r.approval) };
      },
    }),
  ];
}
