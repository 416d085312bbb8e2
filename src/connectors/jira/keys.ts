// The identifiers the Jira connector puts into paths, JQL and link ids. jira.js writes path
// parameters into the URL as they are, so an issue key from a payload is checked here before it
// can become `../` or a query; and the one value Baton writes into JQL is a label it derived
// itself from the idempotency key, checked again right before the JQL is built.
import { createHash } from 'node:crypto';
import { z } from 'zod';

/** An issue key (PROJ-123) or a numeric issue id. */
export const issueKey = z
  .string()
  .regex(/^(?:[A-Z][A-Z0-9_]*-[1-9][0-9]*|[1-9][0-9]*)$/, 'an issue key like PROJ-123, or an issue id');

/** A project key (PROJ). */
export const projectKey = z.string().regex(/^[A-Z][A-Z0-9_]{0,254}$/, 'a project key like PROJ');

const digest = (text: string): string => createHash('sha256').update(text).digest('hex').slice(0, 32);

const MARKER = /^baton-[0-9a-f]{32}$/;

/** The label that marks the issue Baton created for one idempotency key. */
export const markerLabel = (idempotencyKey: string): string => `baton-${digest(idempotencyKey)}`;

/** JQL finding the issue with `label`; refuses anything that is not a label Baton made. */
export function markerJql(label: string): string {
  if (!MARKER.test(label)) throw new Error('jira: refusing to put an unexpected value into JQL');
  return `labels = "${label}" ORDER BY created ASC`;
}

/** The remote link's globalId for one idempotency key: the same key updates the same link. */
export const linkGlobalId = (idempotencyKey: string): string => `baton:${digest(idempotencyKey)}`;

/** The comment property that holds Baton's key (found again by a retried `comment`). */
export const COMMENT_PROPERTY = 'baton.idempotency';
