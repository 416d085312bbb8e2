// Jira Service Management: a comment on a customer request (public, so the customer sees it
// and is mailed, or internal) and the request itself. Request comments are Jira comments, so
// the undo deletes through the platform API; a mail that went out cannot be called back.
import { z } from 'zod';
import { deleteComment } from 'jira.js/cloud';
import { createRequestComment, getCustomerRequestByIdOrKey } from 'jira.js/serviceDesk';
import { isBatonError } from '../../core/errors.ts';
import { defineAction, defineContextSource } from '../../actions/define.ts';
import type { ConnectorAction, ConnectorSource } from '../define.ts';
import type { ClientFor } from './actions.ts';
import { issueKey } from './keys.ts';

const commentParams = z.object({
  request: issueKey.describe('the request key (SD-12) or id'),
  body: z.string().min(1).max(32_000).describe('plain text'),
  public: z.boolean().describe('true: the customer sees it (and is notified); false: internal note'),
});
type CommentParams = z.infer<typeof commentParams>;
interface CommentResult {
  request: string;
  commentId: string;
  public: boolean;
}

export function jsmCommentAction(client: ClientFor): ConnectorAction {
  return defineAction<CommentParams, CommentResult>({
    id: 'jsm_comment',
    description:
      'Comment on a customer request, public or internal (rollback deletes it; a sent notification stays sent)',
    params: commentParams,
    risk: 'medium',
    // The Service Desk API takes no idempotency key and no comment property: a retry could post twice.
    idempotent: false,
    outbound: true,
    async run(p, ctx) {
      const made = await createRequestComment(client(ctx.signal), {
        issueIdOrKey: p.request,
        body: p.body,
        public: p.public,
      });
      if (!made.id) throw new Error('jira: the created request comment came back without its id');
      return { request: p.request, commentId: made.id, public: p.public };
    },
    async rollback(_p, r, ctx) {
      try {
        await deleteComment(client(ctx.signal), { issueIdOrKey: r.request, id: r.commentId });
        return { deleted: true };
      } catch (e) {
        if (isBatonError(e) && e.context['status'] === 404) return { deleted: false };
        throw e;
      }
    },
  });
}

interface FieldValue {
  fieldId?: string;
  value?: unknown;
}

export function getRequestSource(client: ClientFor): ConnectorSource {
  return defineContextSource({
    id: 'get_request',
    description: 'A customer request: status, type, reporter, summary and description',
    params: z.object({ request: issueKey }),
    trust: 'trusted',
    // The customer writes these (and chooses the display name) on the portal or by mail.
    untrustedFields: ['summary', 'description', 'reporter'],
    async fetch(p, ctx) {
      const r = await getCustomerRequestByIdOrKey(client(ctx.signal), { issueIdOrKey: p.request });
      const values = (r.requestFieldValues ?? []) as FieldValue[];
      const text = (id: string): string | null => {
        const v = values.find((f) => f.fieldId === id)?.value;
        return typeof v === 'string' ? v : null;
      };
      return {
        key: r.issueKey ?? p.request,
        status: r.currentStatus?.status ?? null,
        requestType: (r.requestType as { name?: string } | undefined)?.name ?? r.requestTypeId ?? null,
        reporter: r.reporter?.displayName ?? null,
        created: (r.createdDate as { iso8601?: string } | undefined)?.iso8601 ?? null,
        summary: text('summary'),
        description: text('description'),
      };
    },
  });
}
