// The Jira actions. Each reads or writes through jira.js's endpoint functions with a transport
// bound to the step's signal (client.ts). How a repeat is made safe, per action:
//   create_issue  lookup: a `baton-<hash>` label from the idempotency key, searched before creating
//   comment       lookup: a comment property holding the same hash, looked for in the newest comments
//   link          natural: a remote link's globalId from the key, so posting again updates it
//   transition    not idempotent: the same transition may no longer exist once it was taken
import { z } from 'zod';
import {
  addComment,
  createIssue,
  createOrUpdateRemoteIssueLink,
  deleteComment,
  deleteIssue,
  deleteRemoteIssueLinkByGlobalId,
  doTransition,
  getComments,
  getIssue,
  getTransitions,
  searchAndReconsileIssuesUsingJql,
} from 'jira.js/cloud';
import type { Client } from 'jira.js/core';
import { BatonError, isBatonError } from '../../core/errors.ts';
import { defineAction } from '../../actions/define.ts';
import type { ConnectorAction } from '../define.ts';
import { toAdf } from './adf.ts';
import { COMMENT_PROPERTY, issueKey, linkGlobalId, markerJql, markerLabel, projectKey } from './keys.ts';

/** The transport for one call (client.ts `jiraClient`, bound to the settings). */
export type ClientFor = (signal: AbortSignal) => Client;

const statusOf = (e: unknown): number | undefined => {
  const s = isBatonError(e) ? e.context['status'] : undefined;
  return typeof s === 'number' ? s : undefined;
};

/** Runs a delete; an answer of 404 means it is gone already (a second rollback). */
async function gone(del: () => Promise<unknown>): Promise<{ deleted: boolean }> {
  try {
    await del();
    return { deleted: true };
  } catch (e) {
    if (statusOf(e) === 404) return { deleted: false };
    throw e;
  }
}

const createIssueParams = z.object({
  project: projectKey.describe('the project key'),
  issueType: z.string().min(1).describe('the issue type name, e.g. Task or Bug'),
  summary: z.string().min(1).max(255),
  description: z.string().max(32_000).optional().describe('plain text, sent as Atlassian Document Format'),
  labels: z
    .array(z.string().regex(/^\S{1,255}$/, 'a label has no spaces'))
    .max(50)
    .optional(),
  fields: z
    .record(z.string(), z.unknown())
    .optional()
    .describe('more fields as Jira takes them (customfield_10010, priority: {name}); the ones above win'),
});
type CreateIssueParams = z.infer<typeof createIssueParams>;
interface CreatedIssue {
  id: string;
  key: string;
  /** False when a retried call found the issue its first try made. */
  created: boolean;
}

function createIssueAction(client: ClientFor): ConnectorAction {
  return defineAction<CreateIssueParams, CreatedIssue>({
    id: 'create_issue',
    description: 'Create an issue (a retry finds the one it made by its baton-<hash> label)',
    params: createIssueParams,
    risk: 'medium',
    idempotent: true,
    idempotency: 'lookup',
    async run(p, ctx) {
      const jira = client(ctx.signal);
      const label = markerLabel(ctx.idempotencyKey);
      const found = await searchAndReconsileIssuesUsingJql(jira, {
        jql: markerJql(label),
        maxResults: 1,
        fields: ['summary'],
      });
      const first = found.issues?.[0];
      if (first?.id && first.key) return { id: first.id, key: first.key, created: false };
      const labels = [...new Set([...(p.labels ?? []), label])];
      const made = await createIssue(jira, {
        fields: {
          ...p.fields,
          project: { key: p.project },
          issuetype: { name: p.issueType },
          summary: p.summary,
          ...(p.description !== undefined ? { description: toAdf(p.description) } : {}),
          labels,
        },
      });
      if (!made.id || !made.key) throw new Error('jira: the created issue came back without its key');
      return { id: made.id, key: made.key, created: true };
    },
    // Deleting is the undo: a closed issue would still be counted, searched and notified on.
    // Credentials without the Delete issues permission get a 403 that says so.
    async rollback(_p, r, ctx) {
      return gone(() => deleteIssue(client(ctx.signal), { issueIdOrKey: r.key }));
    },
  });
}

const commentParams = z.object({
  issue: issueKey,
  body: z.string().min(1).max(32_000).describe('plain text, sent as Atlassian Document Format'),
  visibility: z
    .object({ type: z.enum(['group', 'role']), value: z.string().min(1) })
    .optional()
    .describe('restrict the comment to a group or project role'),
});
type CommentParams = z.infer<typeof commentParams>;
interface CommentResult {
  issue: string;
  commentId: string;
  created: boolean;
}

function commentAction(client: ClientFor): ConnectorAction {
  return defineAction<CommentParams, CommentResult>({
    id: 'comment',
    description: 'Add a comment to an issue (a retry finds its comment by a comment property)',
    params: commentParams,
    risk: 'low',
    idempotent: true,
    idempotency: 'lookup',
    async run(p, ctx) {
      const jira = client(ctx.signal);
      const marker = markerLabel(ctx.idempotencyKey);
      const recent = await getComments(jira, {
        issueIdOrKey: p.issue,
        orderBy: '-created',
        maxResults: 100,
        expand: 'properties',
      });
      const mine = recent.comments?.find((c) =>
        c.properties?.some((pr) => pr.key === COMMENT_PROPERTY && markerOf(pr.value) === marker),
      );
      if (mine?.id) return { issue: p.issue, commentId: mine.id, created: false };
      const made = await addComment(jira, {
        issueIdOrKey: p.issue,
        body: toAdf(p.body),
        properties: [{ key: COMMENT_PROPERTY, value: { key: marker } }],
        ...(p.visibility ? { visibility: p.visibility } : {}),
      });
      if (!made.id) throw new Error('jira: the created comment came back without its id');
      return { issue: p.issue, commentId: made.id, created: true };
    },
    async rollback(_p, r, ctx) {
      return gone(() => deleteComment(client(ctx.signal), { issueIdOrKey: r.issue, id: r.commentId }));
    },
  });
}

const markerOf = (v: unknown): unknown => (v && typeof v === 'object' ? Reflect.get(v, 'key') : undefined);

const transitionParams = z.object({
  issue: issueKey,
  transition: z.string().min(1).describe('the transition id, or its name (e.g. Done)'),
});
type TransitionParams = z.infer<typeof transitionParams>;
interface StatusRef {
  id: string;
  name: string;
}
interface TransitionResult {
  issue: string;
  transitionId: string;
  to?: StatusRef;
}

async function currentStatus(jira: Client, issue: string): Promise<StatusRef> {
  const got = await getIssue(jira, { issueIdOrKey: issue, fields: ['status'] });
  const status = (got.fields as { status?: { id?: string; name?: string } } | undefined)?.status;
  if (!status?.id) throw new Error(`jira: ${issue} came back without its status`);
  return { id: status.id, name: status.name ?? status.id };
}

function transitionAction(client: ClientFor): ConnectorAction {
  return defineAction<TransitionParams, TransitionResult>({
    id: 'transition',
    description: 'Move an issue through its workflow (rollback takes the transition back, if one exists)',
    params: transitionParams,
    risk: 'medium',
    idempotent: false,
    capture: async (p, ctx) => ({ status: await currentStatus(client(ctx.signal), p.issue) }),
    async run(p, ctx) {
      const jira = client(ctx.signal);
      const { transitions = [] } = await getTransitions(jira, { issueIdOrKey: p.issue });
      const wanted = p.transition.toLowerCase();
      const t =
        transitions.find((x) => x.id === p.transition) ??
        transitions.find((x) => x.name?.toLowerCase() === wanted);
      if (!t?.id)
        throw new BatonError(
          'action_failed',
          `jira: ${p.issue} has no transition "${p.transition}" from its status now (available: ${transitions.map((x) => x.name ?? x.id).join(', ') || 'none'})`,
          { fault: 'user', retryable: false },
        );
      await doTransition(jira, { issueIdOrKey: p.issue, transition: { id: t.id } });
      const to = t.to?.id ? { id: t.to.id, name: t.to.name ?? t.to.id } : undefined;
      return { issue: p.issue, transitionId: t.id, ...(to ? { to } : {}) };
    },
    async rollback(p, _r, ctx) {
      const before = (ctx.undo as { status?: StatusRef } | undefined)?.status;
      if (!before) throw new BatonError('action_failed', 'jira: nothing was captured to go back to', {});
      const jira = client(ctx.signal);
      const now = await currentStatus(jira, p.issue);
      if (now.id === before.id) return { restored: before, moved: false };
      const { transitions = [] } = await getTransitions(jira, { issueIdOrKey: p.issue });
      const back = transitions.find((x) => x.to?.id === before.id);
      if (!back?.id)
        throw new BatonError(
          'action_failed',
          `jira: not reversible now: ${p.issue} is in "${now.name}" and its workflow has no transition back to "${before.name}"`,
          { fault: 'user', retryable: false },
        );
      await doTransition(jira, { issueIdOrKey: p.issue, transition: { id: back.id } });
      return { restored: before, moved: true };
    },
  });
}

const linkParams = z.object({
  issue: issueKey,
  url: z.url({ protocol: /^https?$/ }).describe('the source ticket (stored by Jira, never fetched by Baton)'),
  title: z.string().min(1).max(255),
  summary: z.string().max(1000).optional(),
});
type LinkParams = z.infer<typeof linkParams>;
interface LinkResult {
  issue: string;
  globalId: string;
  linkId?: number;
}

function linkAction(client: ClientFor): ConnectorAction {
  return defineAction<LinkParams, LinkResult>({
    id: 'link',
    description: 'Link an issue back to the source ticket (a remote link; posting again updates it)',
    params: linkParams,
    risk: 'low',
    idempotent: true,
    idempotency: 'natural',
    urlParams: ['url'],
    async run(p, ctx) {
      const globalId = linkGlobalId(ctx.idempotencyKey);
      const made = await createOrUpdateRemoteIssueLink(client(ctx.signal), {
        issueIdOrKey: p.issue,
        globalId,
        object: { url: p.url, title: p.title, ...(p.summary !== undefined ? { summary: p.summary } : {}) },
      });
      return { issue: p.issue, globalId, ...(typeof made?.id === 'number' ? { linkId: made.id } : {}) };
    },
    async rollback(_p, r, ctx) {
      return gone(() =>
        deleteRemoteIssueLinkByGlobalId(client(ctx.signal), { issueIdOrKey: r.issue, globalId: r.globalId }),
      );
    },
  });
}

export const jiraActions = (client: ClientFor): ConnectorAction[] => [
  createIssueAction(client),
  commentAction(client),
  transitionAction(client),
  linkAction(client),
];
