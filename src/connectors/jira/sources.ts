// Reading an issue for a decision. Status, assignee and labels are set inside Jira; summary,
// description and comments are free text that reporters (customers, mail, other systems) write.
import { z } from 'zod';
import { getIssue } from 'jira.js/cloud';
import { defineContextSource } from '../../actions/define.ts';
import type { ConnectorSource } from '../define.ts';
import type { ClientFor } from './actions.ts';
import { adfText } from './adf.ts';
import { issueKey } from './keys.ts';

/** The newest comments given to a decision (Jira returns the first page with the issue). */
const MAX_COMMENTS = 20;

interface IssueFields {
  summary?: string;
  status?: { name?: string };
  assignee?: { displayName?: string; accountId?: string } | null;
  labels?: string[];
  description?: unknown;
  comment?: { comments?: Array<{ author?: { displayName?: string }; body?: unknown; created?: string }> };
}

export function getIssueSource(client: ClientFor): ConnectorSource {
  return defineContextSource({
    id: 'get_issue',
    description: 'An issue: summary, status, assignee, labels, description and the newest comments',
    params: z.object({ key: issueKey }),
    trust: 'trusted',
    untrustedFields: ['summary', 'description', 'comments'],
    async fetch(p, ctx) {
      const issue = await getIssue(client(ctx.signal), {
        issueIdOrKey: p.key,
        fields: ['summary', 'status', 'assignee', 'labels', 'description', 'comment'],
      });
      const f = (issue.fields ?? {}) as IssueFields;
      const comments = (f.comment?.comments ?? []).slice(-MAX_COMMENTS).map((c) => ({
        author: c.author?.displayName ?? null,
        created: c.created ?? null,
        body: adfText(c.body),
      }));
      return {
        key: issue.key ?? p.key,
        summary: f.summary ?? '',
        status: f.status?.name ?? null,
        assignee: f.assignee?.displayName ?? null,
        labels: f.labels ?? [],
        description: adfText(f.description),
        comments,
      };
    },
  });
}
