// Slack as intake, end to end through the HTTP server: Events API envelopes shaped like Slack's
// (signed as Slack signs them, cross-checked with @slack/bolt's own verifier), Slack's retries
// and replays, messages, thread replies, reactions (the reacted message read from a local Web
// API server through the official SDK), message shortcuts, and what goes to the dead-letter list.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { isValidSlackRequest } from '@slack/bolt';
import { Ajv } from 'ajv';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { BatonError } from '../../src/core/errors.ts';
import { loadProject } from '../../src/project/load.ts';
import { startChannels } from '../support/channels.ts';
import { ROOT, tempProject } from '../support/project.ts';
import { signedRequest, SIGNING_SECRET, startFakeSlack, type FakeSlack } from '../support/slack-api.ts';
import { waitFor } from '../http/helpers.ts';

const CHANNEL = 'C0SUPPORT';
const NUMBERS = 'C0NUMBERS';

const FLOW = `id: slack-intake
name: Slack intake
boundary: { from: team:support, to: team:eng-tier2 }
trigger:
  slack:
    channels: [${CHANNEL}]
    on: [message, reaction, shortcut]
    reaction: rotating_light
    shortcut: baton_escalate
    map:
      text: slack.text
      kind: slack.kind
      reporter: slack.person
      user: slack.user
      permalink: slack.permalink
input:
  type: object
  required: [text, kind, user]
  properties:
    text: { type: string, minLength: 1 }
    kind: { type: string }
    reporter: { type: string }
    user: { type: string }
    permalink: { type: string }
decide: { otherwise: { owner: team:eng-tier2 } }
actions: []
handoff: { to: '\${decision.owner}' }
`;

// A map that fails at run time for a message that is not a number.
const NUMBERS_FLOW = `id: slack-numbers
name: Slack numbers
boundary: { from: team:support, to: team:eng-tier2 }
trigger:
  slack:
    channels: [${NUMBERS}]
    map:
      amount: int(slack.text)
input: { type: object, required: [amount], properties: { amount: { type: integer } } }
decide: { otherwise: { owner: team:eng-tier2 } }
actions: []
handoff: { to: '\${decision.owner}' }
`;

let slack: FakeSlack;
let env: Awaited<ReturnType<typeof startChannels>>;
let serial = 0;
/** Every event_callback envelope the tests sent, checked against Slack's own wrapper schema at the end. */
const sent: string[] = [];

beforeAll(async () => {
  slack = await startFakeSlack();
  env = await startChannels(
    { slackApiUrl: slack.url },
    { 'flows/slack-intake.yaml': FLOW, 'flows/slack-numbers.yaml': NUMBERS_FLOW },
  );
});
afterAll(async () => {
  await env?.close();
  await slack?.close();
});

type Answer = { status: number; headers: Headers; body: Record<string, any> };

async function postEvent(
  body: string,
  o: {
    timestamp?: number;
    headers?: Record<string, string>;
    signed?: { headers: Record<string, string> };
  } = {},
): Promise<Answer> {
  if (body.includes('"event_callback"')) sent.push(body);
  const signed = o.signed ?? signedRequest(body, o);
  const res = await fetch(`${env.url}/v1/intake/slack/events`, {
    method: 'POST',
    headers: { ...signed.headers, 'content-type': 'application/json', ...o.headers },
    body,
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : {} };
}

const nextTs = () => `1765000${String(++serial).padStart(3, '0')}.000${serial}00`;

function envelope(event: Record<string, unknown>, eventId = `Ev${++serial}TEST`): string {
  return JSON.stringify({
    token: 'legacy-verification-token',
    team_id: 'T0001',
    api_app_id: 'A0001',
    event,
    type: 'event_callback',
    event_id: eventId,
    event_time: Math.floor(Date.now() / 1000),
    authed_users: ['U0BATON'],
    authorizations: [{ team_id: 'T0001', user_id: 'U0BATON', is_bot: true }],
  });
}

const message = (o: {
  user?: string;
  text: string;
  ts?: string;
  channel?: string;
  thread_ts?: string;
  extra?: object;
}) => ({
  type: 'message',
  channel: o.channel ?? CHANNEL,
  user: o.user ?? 'U0KIM',
  text: o.text,
  ts: o.ts ?? nextTs(),
  event_ts: o.ts ?? String(Date.now() / 1000),
  channel_type: 'channel',
  ...(o.thread_ts ? { thread_ts: o.thread_ts } : {}),
  ...o.extra,
});

describe('Slack request signing', () => {
  it('what the tests sign, @slack/bolt verifies; a changed byte or a wrong secret it refuses', () => {
    const body = envelope(message({ text: 'the export is broken' }));
    const signed = signedRequest(body);
    const check = (b: string, headers: Record<string, string>, secret = SIGNING_SECRET) =>
      isValidSlackRequest({
        signingSecret: secret,
        body: b,
        headers: {
          'x-slack-signature': headers['x-slack-signature']!,
          'x-slack-request-timestamp': Number(headers['x-slack-request-timestamp']),
        },
      });
    expect(check(body, signed.headers)).toBe(true);
    expect(check(body.replace('broken', 'brokem'), signed.headers)).toBe(false);
    expect(check(body, signed.headers, 'another-secret')).toBe(false);
    expect(check(body, signedRequest(body, { timestamp: Math.floor(Date.now() / 1000) - 600 }).headers)).toBe(
      false,
    );
  });
});

describe('Slack Events API intake', () => {
  it('url_verification still answers the challenge', async () => {
    const a = await postEvent(JSON.stringify({ type: 'url_verification', challenge: 'ch-42', token: 'x' }));
    expect([a.status, a.body]).toEqual([200, { challenge: 'ch-42' }]);
  });

  it('a message starts a handoff; Slack retries it (same event_id, signed anew) to the same handoff; a replay is 401', async () => {
    const ts = nextTs();
    const body = envelope(message({ text: 'Checkout fails for EU customers', ts }), 'Ev0MSG1');
    const signed = signedRequest(body);
    const first = await postEvent(body, { signed });
    expect(first.status).toBe(200);
    expect(first.body.delivery).toMatchObject({ outcome: 'created' });
    const id = first.body.delivery.handoffId as string;
    const view = await env.baton.get(id);
    expect(view.input).toEqual({
      text: 'Checkout fails for EU customers',
      kind: 'message',
      reporter: 'kim',
      user: 'U0KIM',
      permalink: `https://acme.slack.com/archives/${CHANNEL}/p${ts.replace('.', '')}`,
    });
    expect(view.events[0]).toMatchObject({
      type: 'received',
      actor: { kind: 'system', id: 'trigger:slack' },
      data: { trigger: 'slack' },
    });

    // Slack did not hear back in time and retries: a new timestamp, a new signature, the same event.
    const retry = await postEvent(body, {
      timestamp: Math.floor(Date.now() / 1000) + 1,
      headers: { 'x-slack-retry-num': '1', 'x-slack-retry-reason': 'http_timeout' },
    });
    expect(retry.status).toBe(200);
    expect(retry.body.delivery).toEqual({ outcome: 'duplicate', handoffId: id });

    // The very same request again (its signature seen): refused, nothing changes.
    const before = (await env.baton.list({ flow: 'slack-intake' })).items.length;
    const replay = await postEvent(body, { signed });
    expect(replay.status).toBe(401);
    expect(replay.body.error.message).toMatch(/seen before/);
    expect((await env.baton.list({ flow: 'slack-intake' })).items.length).toBe(before);
  });

  it('a forged or stale request is 401 and stores nothing', async () => {
    const body = envelope(message({ text: 'forged' }));
    const before = (await env.baton.list({ flow: 'slack-intake' })).items.length;
    const forged = await postEvent(body, { signed: signedRequest(body, { secret: 'not-the-secret' }) });
    expect(forged.status).toBe(401);
    const stale = await postEvent(body, { timestamp: Math.floor(Date.now() / 1000) - 301 });
    expect(stale.status).toBe(401);
    expect(stale.body.error.message).toMatch(/too old/);
    expect((await env.baton.list({ flow: 'slack-intake' })).items.length).toBe(before);
  });

  it("bots' posts, edits, deletions and other channels start nothing", async () => {
    const before = (await env.baton.list({ flow: 'slack-intake' })).items.length;
    const cases = [
      message({ text: 'from a bot', extra: { bot_id: 'B0001', subtype: 'bot_message' } }),
      message({ text: 'from an app user', extra: { bot_id: 'B0002' } }),
      message({ text: 'edited', extra: { subtype: 'message_changed' } }),
      message({ text: '', extra: { subtype: 'message_deleted' } }),
      message({ text: 'joined', extra: { subtype: 'channel_join' } }),
      message({ text: 'elsewhere', channel: 'C0ELSEWHERE' }),
      {
        type: 'app_mention',
        channel: CHANNEL,
        user: 'U0KIM',
        text: '<@U0BATON> hi',
        ts: nextTs(),
        event_ts: nextTs(),
      },
    ];
    for (const e of cases) {
      const a = await postEvent(envelope(e));
      expect([a.status, typeof a.body.ignored]).toEqual([200, 'string']);
    }
    expect((await env.baton.list({ flow: 'slack-intake' })).items.length).toBe(before);
  });

  it("a reply in the thread of a handoff's message comments on it, once, as the person", async () => {
    const ts = nextTs();
    const first = await postEvent(envelope(message({ text: 'Search is slow', ts })));
    const id = first.body.delivery.handoffId as string;
    const replyBody = envelope(message({ user: 'U0SAM', text: 'Seeing it too, since 9:00', thread_ts: ts }));
    const reply = await postEvent(replyBody);
    expect(reply.body.delivery).toEqual({ outcome: 'commented', handoffId: id });
    // Slack retries the reply: still one comment.
    const again = await postEvent(replyBody, {
      timestamp: Math.floor(Date.now() / 1000) + 2,
      headers: { 'x-slack-retry-num': '1' },
    });
    expect(again.body.delivery).toEqual({ outcome: 'commented', handoffId: id });
    const comments = (await env.baton.get(id)).events.filter((e) => e.type === 'commented');
    expect(comments).toHaveLength(1);
    expect(comments[0]).toMatchObject({
      actor: { kind: 'user', id: 'sam', via: 'slack' },
      data: { text: 'Seeing it too, since 9:00' },
    });
    // A reply in a thread no handoff started is not a new handoff.
    const stray = await postEvent(envelope(message({ text: 'unrelated reply', thread_ts: nextTs() })));
    expect(stray.body.ignored).toMatch(/thread/);
  });

  it('a reaction with the configured emoji starts a handoff with the reacted message read from Slack', async () => {
    const ts = nextTs();
    slack.seed(CHANNEL, { ts, text: 'Payments are timing out', user: 'U0DANA' });
    const reaction = (name: string) =>
      envelope({
        type: 'reaction_added',
        user: 'U0OPS',
        reaction: name,
        item: { type: 'message', channel: CHANNEL, ts },
        item_user: 'U0DANA',
        event_ts: String(Date.now() / 1000),
      });
    const other = await postEvent(reaction('eyes'));
    expect(other.body.ignored).toMatch(/reaction/);
    const a = await postEvent(reaction('rotating_light::skin-tone-2'));
    expect(a.body.delivery).toMatchObject({ outcome: 'created' });
    const view = await env.baton.get(a.body.delivery.handoffId);
    expect(view.input).toMatchObject({
      text: 'Payments are timing out',
      kind: 'reaction',
      reporter: 'ops',
      user: 'U0OPS',
    });
    const read = slack.of('conversations.history').at(-1)!;
    expect(read.args).toMatchObject({
      channel: CHANNEL,
      latest: ts,
      oldest: ts,
      inclusive: 'true',
      limit: '1',
    });
    expect(read.auth).toBe('Bearer xoxb-test-token');
  });

  it('a reaction on a reply inside a thread reads it with conversations.replies', async () => {
    const parent = nextTs();
    const ts = nextTs();
    slack.seed(CHANNEL, { ts: parent, text: 'parent', user: 'U0KIM' });
    slack.seed(CHANNEL, { ts, text: 'the reply that matters', user: 'U0KIM', thread_ts: parent });
    const a = await postEvent(
      envelope({
        type: 'reaction_added',
        user: 'U0KIM',
        reaction: 'rotating_light',
        item: { type: 'message', channel: CHANNEL, ts },
        event_ts: nextTs(),
      }),
    );
    expect(a.body.delivery).toMatchObject({ outcome: 'created' });
    expect((await env.baton.get(a.body.delivery.handoffId)).input).toMatchObject({
      text: 'the reply that matters',
    });
    expect(slack.of('conversations.replies').at(-1)!.args).toMatchObject({ channel: CHANNEL, ts });
  });

  it('when Slack is slow to give the reacted message, the answer still comes in time; the event is kept and replayed once read', async () => {
    const ts = nextTs();
    slack.seed(CHANNEL, { ts, text: 'Login loop on mobile', user: 'U0KIM' });
    slack.delay('conversations.history', 2_600);
    try {
      const started = Date.now();
      const a = await postEvent(
        envelope({
          type: 'reaction_added',
          user: 'U0KIM',
          reaction: 'rotating_light',
          item: { type: 'message', channel: CHANNEL, ts },
          event_ts: nextTs(),
        }),
      );
      expect(Date.now() - started).toBeLessThan(3_000);
      expect(a.status).toBe(200);
      expect(a.body.delivery).toMatchObject({ outcome: 'failed', reason: 'unparseable' });
      const failureId = a.body.delivery.failureId as string;
      const kept = await env.baton.intakeFailure(failureId);
      expect(kept.message).toMatch(/could not be read: Slack did not answer within 2000 ms/);
      // The late read comes back: the kept delivery is replayed into a handoff.
      await waitFor(async () => (await env.baton.intakeFailure(failureId)).state === 'replayed', 15_000);
      const done = await env.baton.intakeFailure(failureId);
      expect((await env.baton.get(done.handoffId!)).input).toMatchObject({
        text: 'Login loop on mobile',
        kind: 'reaction',
      });
    } finally {
      slack.delay('conversations.history', 0);
    }
  }, 20_000);

  it('a message shortcut with the configured callback id starts a handoff; another shortcut does nothing', async () => {
    const ts = nextTs();
    const shortcut = (callbackId: string) => {
      const payload = {
        type: 'message_action',
        callback_id: callbackId,
        trigger_id: `13345224609.738474920.${++serial}`,
        action_ts: String(Date.now() / 1000),
        message_ts: ts,
        team: { id: 'T0001', domain: 'acme' },
        user: { id: 'U0KIM', name: 'kim' },
        channel: { id: CHANNEL, name: 'support' },
        message: { type: 'message', user: 'U0DANA', ts, text: 'Invoices PDF export is empty' },
        response_url: 'https://hooks.slack.invalid/app/T0001/1/x',
      };
      const body = `payload=${encodeURIComponent(JSON.stringify(payload))}`;
      return fetch(`${env.url}/v1/intake/slack/interactions`, {
        method: 'POST',
        headers: signedRequest(body).headers,
        body,
      }).then(async (r) => ({ status: r.status, body: (await r.json()) as Record<string, any> }));
    };
    const other = await shortcut('someone_elses_shortcut');
    expect(other.status).toBe(200);
    expect(other.body.delivery).toBeUndefined();
    const a = await shortcut('baton_escalate');
    expect(a.body.delivery).toMatchObject({ outcome: 'created' });
    expect((await env.baton.get(a.body.delivery.handoffId)).input).toMatchObject({
      text: 'Invoices PDF export is empty',
      kind: 'shortcut',
      reporter: 'kim',
    });
    // The person is told, privately, in the channel.
    await waitFor(async () =>
      slack.of('chat.postEphemeral').some((c) => String(c.args.text).includes(a.body.delivery.handoffId)),
    );
    const told = slack
      .of('chat.postEphemeral')
      .find((c) => String(c.args.text).includes(a.body.delivery.handoffId))!;
    expect(told.args).toMatchObject({
      channel: CHANNEL,
      user: 'U0KIM',
      text: `Handed to Baton: handoff ${a.body.delivery.handoffId} (slack-intake).`,
    });
    // The same person on the same message again (a double click): the same handoff.
    const twice = await shortcut('baton_escalate');
    expect(twice.body.delivery).toEqual({ outcome: 'duplicate', handoffId: a.body.delivery.handoffId });
  });

  it('a message the map cannot take lands in the dead-letter list with its reason; an empty one fails the input schema', async () => {
    const a = await postEvent(envelope(message({ channel: NUMBERS, text: 'twelve' })));
    expect(a.status).toBe(200);
    expect(a.body.delivery).toMatchObject({ outcome: 'failed', reason: 'map_failed' });
    const f = await env.baton.intakeFailure(a.body.delivery.failureId);
    expect(f).toMatchObject({
      flow: 'slack-numbers',
      trigger: 'slack',
      reason: 'map_failed',
      state: 'failed',
    });
    expect(f.message).toMatch(/map\.amount/);
    expect(JSON.parse(f.payload.body).event.text).toBe('twelve');

    const empty = await postEvent(envelope(message({ text: '' })));
    expect(empty.body.delivery).toMatchObject({ outcome: 'failed', reason: 'invalid_input' });
  });

  it('a store failure is 503 with Retry-After, so Slack retries; the retry is taken', async () => {
    const body = envelope(message({ text: 'Stored on the second try' }));
    const spy = vi
      .spyOn(env.baton, 'deliver')
      .mockRejectedValueOnce(new BatonError('store_error', 'database is locked', { retryable: true }));
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    try {
      const a = await postEvent(body);
      expect(a.status).toBe(503);
      expect(a.headers.get('retry-after')).toBe('5');
    } finally {
      spy.mockRestore();
      warn.mockRestore();
    }
    const retry = await postEvent(body, {
      timestamp: Math.floor(Date.now() / 1000) + 1,
      headers: { 'x-slack-retry-num': '1' },
    });
    expect(retry.body.delivery).toMatchObject({ outcome: 'created' });

    // A reply whose thread cannot be looked up is not acknowledged either (it would be lost).
    const ts = JSON.parse(body).event.ts as string;
    const lookup = vi
      .spyOn(env.baton, 'getByKey')
      .mockRejectedValueOnce(new BatonError('store_error', 'database is locked', { retryable: true }));
    const quiet = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    try {
      const reply = await postEvent(envelope(message({ text: 'a reply', thread_ts: ts })));
      expect(reply.status).toBe(503);
    } finally {
      lookup.mockRestore();
      quiet.mockRestore();
    }
  });
});

describe("the tests' envelopes", () => {
  it("every event_callback sent above is valid by Slack's event wrapper schema (slackapi/slack-api-specs)", () => {
    const schema = JSON.parse(
      readFileSync(
        path.join(ROOT, 'test/fixtures/vendor-specs/slack-events-common-wrapper.schema.json'),
        'utf8',
      ),
    ) as object;
    const validate = new Ajv({ strict: false }).compile(schema);
    expect(sent.length).toBeGreaterThan(15);
    for (const body of sent)
      expect([validate(JSON.parse(body)), validate.errors ?? null]).toEqual([true, null]);
    // …and the schema is a real check: an envelope without api_app_id fails it.
    const { api_app_id: _, ...without } = JSON.parse(sent[0]!) as Record<string, unknown>;
    expect(validate(without)).toBe(false);
  });
});

describe('Slack triggers at load', () => {
  it('a channel claimed by two flows is an error naming both', async () => {
    const p = tempProject({
      'flows/slack-intake.yaml': FLOW,
      'flows/slack-other.yaml': FLOW.replace('id: slack-intake', 'id: slack-other'),
    });
    try {
      const err = await loadProject(p.dir, {
        env: { ...process.env, SLACK_BOT_TOKEN: 'xoxb-1', SLACK_SIGNING_SECRET: 's' },
      }).catch((e: unknown) => e as BatonError);
      expect(err).toBeInstanceOf(BatonError);
      const text = JSON.stringify((err as BatonError).details);
      expect(text).toMatch(
        new RegExp(`Slack channel ${CHANNEL} is already taken by flow slack-(intake|other)`),
      );
      expect(text).toMatch(/flows slack-intake and slack-other|flows slack-other and slack-intake/);
    } finally {
      p.cleanup();
    }
  });
});
