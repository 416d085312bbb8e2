// Slack and vendor webhook intake through `baton serve` (HTTP on the main thread, the engine on
// its own thread): what is answered is committed (it survives kill -9), a reaction whose message
// Slack gives late is replayed on the engine thread, and a webhook's replay is refused.
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXAMPLES, tempProject } from '../support/project.ts';
import { freePort, kill, startServe, type ServerProcess } from '../support/server.ts';
import { signedRequest, SIGNING_SECRET, startFakeSlack, type FakeSlack } from '../support/slack-api.ts';
import { waitFor } from '../http/helpers.ts';

const SECRET = 'partner-secret-for-serve-e2e-0001';
const FLOW = `id: desk
name: Desk
boundary: { from: team:support, to: team:eng-tier2 }
trigger:
  slack: { channels: [C0DESK], on: [message, reaction], map: { text: slack.text } }
  webhooks: { partner: { map: { text: body.summary } } }
input: { type: object, required: [text], properties: { text: { type: string } } }
decide: { otherwise: { owner: team:eng-tier2 } }
actions: []
handoff: { to: '\${decision.owner}' }
`;

let slack: FakeSlack;
let project: ReturnType<typeof tempProject>;
let server: ServerProcess;
let port: number;
let serial = 0;

beforeAll(async () => {
  slack = await startFakeSlack();
  port = await freePort();
  const yaml = readFileSync(path.join(EXAMPLES, 'baton.yaml'), 'utf8').replace(
    /publicUrl: .*/,
    `publicUrl: http://127.0.0.1:${port}`,
  );
  project = tempProject({
    'baton.yaml': `${yaml}
connectors:
  slack: { token: xoxb-test-token, signingSecret: "${SIGNING_SECRET}", apiUrl: "${slack.url}" }
  partner: { type: webhook, secret: "${SECRET}" }
outbound: { allowHosts: [127.0.0.1] }
`,
    'flows/desk.yaml': FLOW,
  });
  server = await startServe(project.dir, port);
}, 30_000);
afterAll(async () => {
  if (server) await kill(server, 'SIGTERM');
  await slack?.close();
  project?.cleanup();
});

async function post(p: string, body: string, headers: Record<string, string>) {
  const r = await fetch(server.url + p, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
  });
  return { status: r.status, body: (await r.json()) as Record<string, any> };
}
const handoff = async (id: string) =>
  (await fetch(`${server.url}/v1/handoffs/${id}`).then((r) => r.json())) as { id: string; input: unknown };

const event = (e: Record<string, unknown>) =>
  JSON.stringify({
    token: 't',
    team_id: 'T1',
    api_app_id: 'A1',
    type: 'event_callback',
    event_id: `EvSERVE${++serial}`,
    event_time: 1,
    authed_users: [],
    event: { event_ts: `1765.${serial}`, ...e },
  });
const slackPost = (body: string) => post('/v1/intake/slack/events', body, signedRequest(body).headers);
function partner(body: string, id: string) {
  const ts = String(Math.floor(Date.now() / 1000));
  const sig = createHmac('sha256', SECRET).update(`${ts}.${body}`).digest('hex');
  return { 'x-signature': sig, 'x-timestamp': ts, 'x-webhook-id': id };
}

describe('intake through baton serve', () => {
  it('a Slack message and a webhook, answered and committed: both survive kill -9', async () => {
    const m = await slackPost(
      event({
        type: 'message',
        channel: 'C0DESK',
        user: 'U0KIM',
        text: 'Disk full on db-2',
        ts: '1765100000.000100',
      }),
    );
    expect(m.status).toBe(200);
    expect(m.body.delivery).toMatchObject({ outcome: 'created' });
    const body = JSON.stringify({ summary: 'Partner order stuck' });
    const headers = partner(body, 'dl-1');
    const w = await post('/v1/intake/partner/desk', body, headers);
    expect(w.status).toBe(202);
    expect(w.body.deliveries).toMatchObject([{ outcome: 'created' }]);
    expect((await post('/v1/intake/partner/desk', body, headers)).status).toBe(401);

    await kill(server, 'SIGKILL');
    server = await startServe(project.dir, port);
    expect((await handoff(m.body.delivery.handoffId)).input).toEqual({ text: 'Disk full on db-2' });
    expect((await handoff(w.body.deliveries[0].handoffId)).input).toEqual({ text: 'Partner order stuck' });
    // After the restart the replay is still refused; a redelivery signed anew is the same handoff.
    expect((await post('/v1/intake/partner/desk', body, headers)).status).toBe(401);
    const again = await post('/v1/intake/partner/desk', body, partner(body, 'dl-1'));
    expect(again.body.deliveries).toEqual([
      { outcome: 'duplicate', handoffId: w.body.deliveries[0].handoffId },
    ]);
  }, 60_000);

  it('a reaction whose message Slack gives late is answered in time, kept, and replayed on the engine thread', async () => {
    slack.seed('C0DESK', { ts: '1765200000.000100', text: 'Queue backlog growing', user: 'U0SAM' });
    slack.delay('conversations.history', 2_600);
    try {
      const started = Date.now();
      const r = await slackPost(
        event({
          type: 'reaction_added',
          user: 'U0SAM',
          reaction: 'eyes',
          item: { type: 'message', channel: 'C0DESK', ts: '1765200000.000100' },
        }),
      );
      expect(Date.now() - started).toBeLessThan(3_000);
      expect(r.body.delivery).toMatchObject({ outcome: 'failed', reason: 'unparseable' });
      const id = r.body.delivery.failureId as string;
      // The replay runs on the engine thread, whose parser reads the message again.
      const found = async () => {
        const rows = (await fetch(`${server.url}/v1/handoffs?flow=desk`).then((x) => x.json())) as {
          items: Array<{ id: string }>;
        };
        for (const h of rows.items) {
          const full = (await handoff(h.id)) as { input: { text?: string } };
          if (full.input.text === 'Queue backlog growing') return full;
        }
        return undefined;
      };
      await waitFor(async () => (await found()) !== undefined, 20_000);
      expect(id).toMatch(/^if_/);
    } finally {
      slack.delay('conversations.history', 0);
    }
  }, 30_000);
});
