// The small HTML pages of email links: the confirm page (GET) and the result (POST). No script,
// no outside resources; values are escaped; the headers forbid framing, caching and referrers to
// other sites (the token is in the URL).
import type { FastifyReply } from 'fastify';
import type { LinkOutcome, LinkView } from '../channels/confirm.ts';
import { brief, closedLine } from '../channels/message.ts';
import { escapeHtml as h } from '../connectors/email/compose.ts';
import { WAITING_FOR_OWNER, type HandoffState } from '../core/types.ts';

export const PAGE_HEADERS: Record<string, string> = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  'referrer-policy': 'same-origin',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'content-security-policy':
    "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
};

const STYLE = `body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;color:#222}
dt{font-weight:600}dd{margin:0 0 .5rem 0}button{font-size:1rem;padding:.5rem 1.25rem;margin-right:.5rem}
textarea{width:100%;min-height:4rem}.note{color:#555}`;

function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<meta name="robots" content="noindex"><title>${h(title)} · Baton</title><style>${STYLE}</style></head>
<body><h1>${h(title)}</h1>${body}</body></html>`;
}

const STATE_TEXT: Record<Exclude<LinkView['state'], 'valid'>, string> = {
  used: 'This link was already used.',
  expired: 'This link has expired. Ask for a new one, or use Baton directly.',
  unknown: 'This link is not valid.',
};

/** GET: what the link is for, and a form that POSTs the choice with the token. */
export function confirmPage(v: LinkView, token: string): { status: number; html: string } {
  if (v.state !== 'valid' || !v.link) {
    const extra =
      v.approval && v.approval.state !== 'pending' ? `<p>${h(closedLine(v.approval) ?? '')}</p>` : '';
    return {
      status: v.state === 'unknown' ? 404 : 410,
      html: page('Nothing to do', `<p>${STATE_TEXT[v.state as 'used']}</p>${extra}`),
    };
  }
  const a = v.approval;
  const details: Array<[string, string]> = [];
  if (v.handoff)
    details.push([
      'Handoff',
      `${v.handoff.id} (${v.handoff.flow}), ${v.handoff.state}, owner ${v.handoff.owner}`,
    ]);
  if (a) {
    details.push(['Approval', `${a.summary} (${a.id})`]);
    if (a.params) details.push(['Parameters', brief(a.params, 2000)]);
    if (a.requester) details.push(['Requested by', a.requester]);
  }
  details.push(['For', v.link.userId], ['Link valid until', new Date(v.link.expiresAt).toISOString()]);
  const list = `<dl>${details.map(([k, x]) => `<dt>${h(k)}</dt><dd>${h(x)}</dd>`).join('')}</dl>`;
  const hidden = `<input type="hidden" name="token" value="${h(token)}">`;
  if (a && a.state !== 'pending') {
    return { status: 409, html: page('Already decided', `${list}<p>${h(closedLine(a) ?? a.state)}.</p>`) };
  }
  // An accept link whose work is no longer waiting for its owner (accepted, done, moved on).
  if (v.link.kind === 'accept' && v.handoff && !WAITING_FOR_OWNER.has(v.handoff.state as HandoffState)) {
    const title = v.handoff.state === 'accepted' ? 'Already accepted' : 'Nothing to accept';
    return {
      status: 409,
      html: page(
        title,
        `${list}<p>${h(`Handoff ${v.handoff.id} is ${v.handoff.state} now, owner ${v.handoff.owner}: there is nothing to accept.`)}</p>`,
      ),
    };
  }
  const form =
    v.link.kind === 'approve'
      ? `<form method="post">${hidden}<p><label>Comment (optional)<br><textarea name="comment" maxlength="2000"></textarea></label></p>
<button type="submit" name="decision" value="approve">Approve</button><button type="submit" name="decision" value="reject">Reject</button></form>`
      : `<form method="post">${hidden}<p><label>Comment (optional)<br><textarea name="comment" maxlength="2000"></textarea></label></p>
<button type="submit" name="decision" value="accept">Accept</button></form>`;
  const title = v.link.kind === 'approve' ? 'Approve or reject' : 'Accept this handoff';
  return {
    status: 200,
    html: page(
      title,
      `${list}${form}<p class="note">Opening this page changed nothing; only the buttons act, once.</p>`,
    ),
  };
}

const OUTCOME_STATUS: Record<string, number> = {
  not_found: 404,
  expired: 410,
  already_used: 410,
  already_decided: 409,
  forbidden: 403,
  validation_failed: 422,
  invalid_transition: 409,
};

/** POST: what happened. */
export function outcomePage(o: LinkOutcome): { status: number; html: string } {
  if (o.ok) return { status: 200, html: page('Done', `<p>${h(o.message)}</p>`) };
  return {
    status: OUTCOME_STATUS[o.code ?? ''] ?? 409,
    html: page('Nothing was changed', `<p>${h(o.message)}</p>`),
  };
}

export function sendPage(
  reply: FastifyReply,
  p: { status: number; html: string },
  headOnly = false,
): FastifyReply {
  return reply
    .code(p.status)
    .headers(PAGE_HEADERS)
    .send(headOnly ? undefined : p.html);
}
