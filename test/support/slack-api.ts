// A local server that speaks the documented Slack Web API for the methods Baton calls
// (chat.postMessage, chat.update, chat.postEphemeral, views.open, and for intake
// conversations.history, conversations.replies, chat.getPermalink over messages a test seeds):
// form-encoded bodies, a bearer token, `{ok: true, …}` answers. The official SDK reaches it
// through `slackApiUrl`.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHmac } from 'node:crypto';

export interface SlackCall {
  method: string;
  auth: string | undefined;
  contentType: string | undefined;
  /** The form fields; `blocks` and `view` parsed from their JSON text. */
  args: Record<string, unknown>;
}

export interface FakeSlack {
  url: string;
  calls: SlackCall[];
  /** The next call of `method` answers `{ok: false, error}`. */
  failNext(method: string, error: string): void;
  /** Calls of `method` answer only after `ms` (0: at once again). */
  delay(method: string, ms: number): void;
  /** A message in a channel (with thread_ts: a reply in that thread), as history and replies show it. */
  seed(channel: string, message: { ts: string; text: string; user: string; thread_ts?: string }): void;
  of(method: string): SlackCall[];
  close(): Promise<void>;
}

export async function startFakeSlack(): Promise<FakeSlack> {
  const calls: SlackCall[] = [];
  const failures = new Map<string, string>();
  const deleted = new Set<string>();
  const delays = new Map<string, number>();
  const messages = new Map<string, Array<{ ts: string; text: string; user: string; thread_ts?: string }>>();
  let ts = 1_700_000_000;
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      const method = (req.url ?? '').replace(/^\/api\//, '').split('?')[0]!;
      const wait = delays.get(method) ?? 0;
      if (wait > 0) setTimeout(() => answerCall(method), wait);
      else answerCall(method);
    });
    const answerCall = (method: string) => {
      const form = Object.fromEntries(new URLSearchParams(body));
      const args: Record<string, unknown> = { ...form };
      for (const k of ['blocks', 'view']) if (typeof form[k] === 'string') args[k] = JSON.parse(form[k]);
      calls.push({ method, auth: req.headers.authorization, contentType: req.headers['content-type'], args });
      const fail = failures.get(method);
      let answer: Record<string, unknown>;
      if (fail) {
        failures.delete(method);
        answer = { ok: false, error: fail };
      } else if (req.headers.authorization !== 'Bearer xoxb-test-token') {
        answer = { ok: false, error: 'invalid_auth' };
      } else if (method === 'chat.postMessage') {
        answer = {
          ok: true,
          channel: `D${String(form.channel).slice(1)}`,
          ts: `${++ts}.000100`,
          message: { text: form.text },
        };
      } else if (method === 'chat.update') {
        answer = { ok: true, channel: form.channel, ts: form.ts, text: form.text };
      } else if (method === 'chat.postEphemeral') {
        answer = { ok: true, message_ts: `${++ts}.000200` };
      } else if (method === 'chat.delete') {
        // A message deleted once is gone: deleting it again is `message_not_found`.
        answer = deleted.has(`${form.channel}/${form.ts}`)
          ? { ok: false, error: 'message_not_found' }
          : { ok: true, channel: form.channel, ts: form.ts };
        deleted.add(`${form.channel}/${form.ts}`);
      } else if (method === 'auth.test') {
        answer = {
          ok: true,
          url: 'https://acme.slack.com/',
          team: 'Acme',
          user: 'baton',
          team_id: 'T1',
          user_id: 'U0BATON',
        };
      } else if (method === 'conversations.history' || method === 'conversations.replies') {
        // One message at `latest` (the reads Baton makes: latest = oldest = ts, inclusive).
        const inChannel = messages.get(String(form.channel)) ?? [];
        const found = inChannel.filter((m) =>
          method === 'conversations.history'
            ? !m.thread_ts || m.thread_ts === m.ts
            : m.thread_ts !== undefined,
        );
        const at = found.filter((m) => m.ts === form.latest);
        answer = { ok: true, messages: at.map((m) => ({ type: 'message', ...m })), has_more: false };
      } else if (method === 'chat.getPermalink') {
        answer = {
          ok: true,
          channel: form.channel,
          permalink: `https://acme.slack.com/archives/${String(form.channel)}/p${String(form.message_ts).replace('.', '')}`,
        };
      } else if (method === 'views.open') {
        answer = { ok: true, view: { id: 'V0001', ...(args.view as object) } };
      } else {
        answer = { ok: false, error: 'unknown_method' };
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
    };
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/api/`,
    calls,
    failNext: (method, error) => failures.set(method, error),
    delay: (method, ms) => delays.set(method, ms),
    seed: (channel, message) => messages.set(channel, [...(messages.get(channel) ?? []), message]),
    of: (method) => calls.filter((c) => c.method === method),
    close: () => new Promise((r) => server.close(() => r())),
  };
}

export const SIGNING_SECRET = 'test-signing-secret-0123456789abcdef';

/** Headers and body of a request as Slack signs it. */
export function signedRequest(
  body: string,
  o: { secret?: string; timestamp?: number } = {},
): { headers: Record<string, string>; body: string } {
  const ts = String(o.timestamp ?? Math.floor(Date.now() / 1000));
  const sig = `v0=${createHmac('sha256', o.secret ?? SIGNING_SECRET)
    .update(`v0:${ts}:${body}`)
    .digest('hex')}`;
  return {
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-slack-request-timestamp': ts,
      'x-slack-signature': sig,
    },
    body,
  };
}

/** A block_actions payload like Slack's, as the `payload=` form field. */
export function blockAction(o: {
  user: string;
  actionId: string;
  value: string;
  channel?: string;
  ts?: string;
  triggerId?: string;
}): string {
  const payload = {
    type: 'block_actions',
    user: { id: o.user, username: o.user.toLowerCase(), team_id: 'T0001' },
    api_app_id: 'A0001',
    token: 'legacy-verification-token',
    trigger_id: o.triggerId ?? '1234.5678.abcd',
    team: { id: 'T0001', domain: 'example' },
    container: {
      type: 'message',
      message_ts: o.ts ?? '1.0',
      channel_id: o.channel ?? 'D0001',
      is_ephemeral: false,
    },
    channel: { id: o.channel ?? 'D0001', name: 'directmessage' },
    message: { type: 'message', ts: o.ts ?? '1.0', text: 'Approval needed' },
    response_url: 'https://hooks.slack.invalid/actions/T0001/1/x',
    actions: [
      {
        type: 'button',
        action_id: o.actionId,
        block_id: 'baton_actions',
        value: o.value,
        text: { type: 'plain_text', text: 'Approve' },
        action_ts: `${Date.now() / 1000}`,
      },
    ],
  };
  return `payload=${encodeURIComponent(JSON.stringify(payload))}`;
}

/** A view_submission payload (a modal's submit). */
export function viewSubmission(o: {
  user: string;
  callbackId: string;
  metadata: string;
  values: Record<string, string>;
}): string {
  const values = Object.fromEntries(
    Object.entries(o.values).map(([block, value]) => [block, { value: { type: 'plain_text_input', value } }]),
  );
  const payload = {
    type: 'view_submission',
    user: { id: o.user },
    team: { id: 'T0001' },
    view: { id: 'V0001', callback_id: o.callbackId, private_metadata: o.metadata, state: { values } },
  };
  return `payload=${encodeURIComponent(JSON.stringify(payload))}`;
}
