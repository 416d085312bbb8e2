// Vendors' webhooks end to end through the HTTP server: HubSpot (signature v3), Zendesk, Jira
// (HMAC and Connect JWT) and a generic signed webhook. Every signature here is computed the way
// the vendor documents it, with node:crypto (not with Baton's code): correct → a handoff,
// wrong → 401 and nothing stored, stale → 401, the same request again → 401, a redelivery signed
// anew with the same delivery id → the same handoff; malformed bodies and failed maps go to the
// dead-letter list.
import { createHash, createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { offTriggerWarnings } from '../../src/service/triggers-view.ts';
import { BatonError } from '../../src/core/errors.ts';
import { loadProject } from '../../src/project/load.ts';
import { startServer, type RunningServer } from '../../src/server/listen.ts';
import { ALLOW_LOOPBACK, EXAMPLES, openTemp, tempProject } from '../support/project.ts';
import { freePort } from '../support/server.ts';

const SECRETS = {
  hubspot: 'hubspot-client-secret-7f3a9c',
  zendesk: 'dGhpcyBpcyBhIHplbmRlc2sgc2lnbmluZyBzZWNyZXQ=',
  jira: 'jira-webhook-secret-5d1e',
  connect: 'jira-connect-shared-secret-9b2c',
  partner: 'partner-shared-secret-0123456789',
};

const CONNECTORS = `connectors:
  hubspot: { token: pat-test, basePath: "http://127.0.0.1:9", clientSecret: "${SECRETS.hubspot}" }
  zendesk: { endpointUri: "http://127.0.0.1:9/api/v2", username: agent@example.com, token: zd-token, webhookSecret: "${SECRETS.zendesk}" }
  jira: { host: "http://127.0.0.1:9", email: bot@example.com, apiToken: jira-token, webhookSecret: "${SECRETS.jira}" }
  jira-connect: { type: jira, host: "http://127.0.0.1:9", email: bot@example.com, apiToken: jira-token, webhookSecret: "${SECRETS.connect}", webhookAuth: jwt }
  partner: { type: webhook, secret: "${SECRETS.partner}" }
`;

const flow = (id: string, trigger: string, input: string) => `id: ${id}
name: ${id}
boundary: { from: team:support, to: team:eng-tier2 }
trigger:
${trigger}
input: ${input}
decide: { otherwise: { owner: team:eng-tier2 } }
actions: []
handoff: { to: '\${decision.owner}' }
`;

const FILES: Record<string, string> = {
  'flows/hubspot-contacts.yaml': flow(
    'hubspot-contacts',
    `  webhooks:
    hubspot:
      events: [contact.creation]
      map: { contact: string(body.objectId), portal: string(body.portalId) }`,
    '{ type: object, required: [contact, portal], properties: { contact: { type: string }, portal: { type: string } } }',
  ),
  'flows/zendesk-tickets.yaml': flow(
    'zendesk-tickets',
    `  webhooks:
    zendesk:
      events: [zen:event-type:ticket.created]
      map: { ticket: string(body.detail.id), subject: body.detail.subject }`,
    '{ type: object, required: [ticket, subject], properties: { ticket: { type: string }, subject: { type: string } } }',
  ),
  'flows/jira-issues.yaml': flow(
    'jira-issues',
    `  webhooks:
    jira:
      events: [jira:issue_created]
      map: { key: body.issue.key }
    jira-connect:
      map: { key: body.issue.key }`,
    '{ type: object, required: [key], properties: { key: { type: string } } }',
  ),
  'flows/partner-orders.yaml': flow(
    'partner-orders',
    `  webhooks:
    partner: {}`,
    '{ type: object, required: [order], properties: { order: { type: string }, type: { type: string } } }',
  ),
};

let base: string;
let env: Awaited<ReturnType<typeof openTemp>>;
let server: RunningServer;

beforeAll(async () => {
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  const yaml = readFileSync(path.join(EXAMPLES, 'baton.yaml'), 'utf8').replace(
    /publicUrl: .*/,
    `publicUrl: ${base}`,
  );
  env = await openTemp(
    { 'baton.yaml': `${yaml}\n${CONNECTORS}${ALLOW_LOOPBACK}`, ...FILES },
    { worker: true, pollMs: 20 },
  );
  env.baton.engine.start();
  server = await startServer(env.baton, { port });
}, 30_000);
afterAll(async () => {
  await server?.close();
  await env?.close();
});

type Answer = { status: number; headers: Headers; body: Record<string, any> };

async function post(p: string, body: string | Buffer, headers: Record<string, string>): Promise<Answer> {
  const res = await fetch(base + p, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : {} };
}

/** What a refused request must leave: no new handoff, no new dead-letter entry. */
async function counts() {
  const flows = ['hubspot-contacts', 'zendesk-tickets', 'jira-issues', 'partner-orders'];
  let handoffs = 0;
  for (const f of flows) handoffs += (await env.baton.list({ flow: f })).items.length;
  const failures = (await env.baton.intakeFailures({})).length;
  return { handoffs, failures };
}

/** Sends, and says what a refusal must be: 401, no secret in it, no new handoff or dead-letter entry. */
async function attempt(send: () => Promise<Answer>) {
  const before = await counts();
  const a = await send();
  const text = JSON.stringify(a.body);
  return {
    status: a.status,
    code: a.body.error?.code as string | undefined,
    message: (a.body.error?.message ?? text) as string,
    leaksSecret: Object.values(SECRETS).some((secret) => text.includes(secret)),
    unchanged: JSON.stringify(await counts()) === JSON.stringify(before),
  };
}
const refused = (message: RegExp) => ({
  status: 401,
  code: 'unauthorized',
  message: expect.stringMatching(message),
  leaksSecret: false,
  unchanged: true,
});

// ---- each vendor's documented signing, written out here

/** HubSpot v3: base64(HMAC-SHA256(clientSecret, method + uri + body + timestamp)), timestamp in ms. */
function hubspotHeaders(p: string, body: string, o: { secret?: string; at?: number } = {}) {
  const ts = String(o.at ?? Date.now());
  const sig = createHmac('sha256', o.secret ?? SECRETS.hubspot)
    .update(`POST${base}${p}${body}${ts}`)
    .digest('base64');
  return { 'x-hubspot-signature-v3': sig, 'x-hubspot-request-timestamp': ts };
}

/** Zendesk: base64(HMAC-SHA256(secret, timestamp + body)), the timestamp ISO 8601. */
function zendeskHeaders(body: string, o: { secret?: string; at?: number; invocation?: string } = {}) {
  const ts = new Date(o.at ?? Date.now()).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const sig = createHmac('sha256', o.secret ?? SECRETS.zendesk)
    .update(ts + body)
    .digest('base64');
  return {
    'x-zendesk-webhook-signature': sig,
    'x-zendesk-webhook-signature-timestamp': ts,
    'x-zendesk-webhook-id': '01GZ9X0WEBHOOK',
    ...(o.invocation ? { 'x-zendesk-webhook-invocation-id': o.invocation } : {}),
  };
}

/** Jira (secured webhook): X-Hub-Signature: sha256=<hex HMAC-SHA256(secret, body)>. */
const jiraHmacHeaders = (body: string, id: string, secret = SECRETS.jira) => ({
  'x-hub-signature': `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`,
  'x-atlassian-webhook-identifier': id,
});

const b64url = (v: string | Buffer) => Buffer.from(v).toString('base64url');

/** A Connect JWT: HS256 over header.payload; qsh = sha256 hex of `METHOD&path&query` (sorted). */
function connectJwt(p: string, o: { secret?: string; iat?: number; exp?: number; qshPath?: string } = {}) {
  const now = Math.floor(Date.now() / 1000);
  const qsh = createHash('sha256')
    .update(`POST&${o.qshPath ?? p}&`)
    .digest('hex');
  const head = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
  const claims = b64url(
    JSON.stringify({ iss: 'jira:1234', iat: o.iat ?? now, exp: o.exp ?? now + 180, qsh }),
  );
  const sig = createHmac('sha256', o.secret ?? SECRETS.connect)
    .update(`${head}.${claims}`)
    .digest('base64url');
  return `${head}.${claims}.${sig}`;
}

/** The generic scheme: hex(HMAC-SHA256(secret, `${timestamp}.${body}`)), timestamp in seconds. */
function partnerHeaders(
  body: string | Buffer,
  id: string,
  o: { secret?: string; at?: number; prefix?: boolean } = {},
) {
  const ts = String(o.at ?? Math.floor(Date.now() / 1000));
  const hex = createHmac('sha256', o.secret ?? SECRETS.partner)
    .update(`${ts}.`)
    .update(body)
    .digest('hex');
  return { 'x-signature': o.prefix ? `sha256=${hex}` : hex, 'x-timestamp': ts, 'x-webhook-id': id };
}

// ----

describe('HubSpot webhooks (signature v3)', () => {
  const P = '/v1/intake/hubspot/hubspot-contacts';
  const batch = (ids: number[], type = 'contact.creation') =>
    JSON.stringify(
      ids.map((id) => ({
        eventId: 1_000_000 + id,
        subscriptionId: 25,
        portalId: 62515,
        appId: 54321,
        occurredAt: Date.now(),
        subscriptionType: type,
        attemptNumber: 0,
        objectId: id,
        changeFlag: 'CREATED',
        changeSource: 'CRM',
      })),
    );

  it('a signed batch: each event its own handoff; types the trigger does not list are ignored', async () => {
    const body = JSON.stringify([
      ...JSON.parse(batch([101, 102])),
      ...JSON.parse(batch([103], 'contact.deletion')),
    ]);
    const a = await post(P, body, hubspotHeaders(P, body));
    expect(a.status, JSON.stringify(a.body)).toBe(202);
    expect(a.body.deliveries).toMatchObject([
      { outcome: 'created' },
      { outcome: 'created' },
      { outcome: 'ignored', type: 'contact.deletion' },
    ]);
    const first = await env.baton.get(a.body.deliveries[0].handoffId);
    expect(first.input).toEqual({ contact: '101', portal: '62515' });
    expect(first.events[0]).toMatchObject({ actor: { kind: 'system', id: 'trigger:webhooks.hubspot' } });
  });

  it('redelivered (attemptNumber 1, signed anew): the same handoffs; the same request again: 401', async () => {
    const body = batch([201]);
    const headers = hubspotHeaders(P, body);
    const a = await post(P, body, headers);
    const id = a.body.deliveries[0].handoffId;
    const again = JSON.stringify(JSON.parse(body).map((e: object) => ({ ...e, attemptNumber: 1 })));
    const r = await post(P, again, hubspotHeaders(P, again, { at: Date.now() + 1 }));
    expect(r.body.deliveries).toEqual([{ outcome: 'duplicate', handoffId: id }]);
    expect(await attempt(() => post(P, body, headers))).toEqual(refused(/seen before/));
  });

  it('a wrong signature, another URI, a stale timestamp or no signature: 401, nothing stored', async () => {
    const body = batch([301]);
    expect(await attempt(() => post(P, body, hubspotHeaders(P, body, { secret: 'wrong' })))).toEqual(
      refused(/does not match/),
    );
    expect(await attempt(() => post(P, body, hubspotHeaders('/v1/intake/hubspot/other-flow', body)))).toEqual(
      refused(/does not match/),
    );
    expect(
      await attempt(() => post(P, body, hubspotHeaders(P, body, { at: Date.now() - 5 * 60 * 1000 - 1000 }))),
    ).toEqual(refused(/more than 5 minutes/));
    expect(await attempt(() => post(P, body, {}))).toEqual(refused(/no X-HubSpot-Signature-v3/));
  });

  it('a map that fails for one event keeps it in the dead-letter list with the reason', async () => {
    const body = JSON.stringify([
      { eventId: 9_000_001, subscriptionType: 'contact.creation', portalId: 62515 },
    ]);
    const a = await post(P, body, hubspotHeaders(P, body));
    expect(a.status).toBe(202);
    expect(a.body.deliveries).toMatchObject([{ outcome: 'failed', reason: 'map_failed' }]);
    const f = await env.baton.intakeFailure(a.body.deliveries[0].failureId);
    expect(f).toMatchObject({ trigger: 'webhooks.hubspot', key: '9000001', reason: 'map_failed' });
    expect(f.message).toMatch(/map\.contact/);
  });
});

describe('Zendesk webhooks', () => {
  const P = '/v1/intake/zendesk/zendesk-tickets';
  const ticketEvent = (id: number, type = 'zen:event-type:ticket.created') =>
    JSON.stringify({
      type,
      account_id: 9_876_543,
      id: `01HZ${id}EVENT`,
      time: new Date().toISOString(),
      zendesk_event_version: '2022-11-06',
      subject: `zen:ticket:${id}`,
      detail: { id: String(id), subject: `Printer on fire #${id}`, status: 'NEW', priority: 'HIGH' },
      event: {},
    });

  it('signed: a handoff; the redelivery (new timestamp, same invocation id): the same; the same request: 401', async () => {
    const body = ticketEvent(11);
    const headers = zendeskHeaders(body, { invocation: 'inv-11' });
    const a = await post(P, body, headers);
    expect(a.status, JSON.stringify(a.body)).toBe(202);
    expect(a.body.deliveries).toMatchObject([{ outcome: 'created' }]);
    const id = a.body.deliveries[0].handoffId;
    expect((await env.baton.get(id)).input).toEqual({ ticket: '11', subject: 'Printer on fire #11' });
    const r = await post(P, body, zendeskHeaders(body, { invocation: 'inv-11', at: Date.now() + 1000 }));
    expect(r.body.deliveries).toEqual([{ outcome: 'duplicate', handoffId: id }]);
    expect(await attempt(() => post(P, body, headers))).toEqual(refused(/seen before/));
  });

  it('without an invocation id the event id keys it', async () => {
    const body = ticketEvent(12);
    const a = await post(P, body, zendeskHeaders(body));
    const f = await env.baton.store.byKey('zendesk-tickets', 'webhooks.zendesk:01HZ12EVENT');
    expect(f?.id).toBe(a.body.deliveries[0].handoffId);
  });

  it('a wrong signature or a stale timestamp: 401; another event type: ignored', async () => {
    const body = ticketEvent(13);
    expect(await attempt(() => post(P, body, zendeskHeaders(body, { secret: 'wrong' })))).toEqual(
      refused(/does not match/),
    );
    expect(
      await attempt(() => post(P, body, zendeskHeaders(body, { at: Date.now() - 6 * 60 * 1000 }))),
    ).toEqual(refused(/more than 5 minutes/));
    const other = ticketEvent(14, 'zen:event-type:ticket.comment_added');
    const a = await post(P, other, zendeskHeaders(other));
    expect(a.body.deliveries).toEqual([{ outcome: 'ignored', type: 'zen:event-type:ticket.comment_added' }]);
  });
});

describe('Jira webhooks', () => {
  const P = '/v1/intake/jira/jira-issues';
  const issueEvent = (key: string, ts = Date.now()) =>
    JSON.stringify({
      timestamp: ts,
      webhookEvent: 'jira:issue_created',
      issue_event_type_name: 'issue_created',
      user: { accountId: '5b10a2844c20165700ede21g' },
      issue: { id: '10001', key, fields: { summary: 'Crash on save' } },
    });

  it('HMAC: signed → a handoff; redelivered (another body timestamp, same identifier) → the same; same request → 401', async () => {
    const body = issueEvent('OPS-1');
    const headers = jiraHmacHeaders(body, 'wh-ops-1');
    const a = await post(P, body, headers);
    expect(a.status, JSON.stringify(a.body)).toBe(202);
    const id = a.body.deliveries[0].handoffId;
    expect((await env.baton.get(id)).input).toEqual({ key: 'OPS-1' });
    const again = issueEvent('OPS-1', Date.now() + 5);
    const r = await post(P, again, jiraHmacHeaders(again, 'wh-ops-1'));
    expect(r.body.deliveries).toEqual([{ outcome: 'duplicate', handoffId: id }]);
    expect(await attempt(() => post(P, body, headers))).toEqual(refused(/seen before/));
  });

  it('HMAC: a wrong secret or a changed body: 401', async () => {
    const body = issueEvent('OPS-2');
    expect(await attempt(() => post(P, body, jiraHmacHeaders(body, 'wh-2', 'wrong')))).toEqual(
      refused(/does not match/),
    );
    expect(
      await attempt(() => post(P, body.replace('OPS-2', 'OPS-3'), jiraHmacHeaders(body, 'wh-2'))),
    ).toEqual(refused(/does not match/));
  });

  const C = '/v1/intake/jira-connect/jira-issues';
  it('JWT: a valid token → a handoff; a new token, same identifier → the same; the same token → 401', async () => {
    const body = issueEvent('APP-1');
    const token = connectJwt(C);
    const headers = { authorization: `JWT ${token}`, 'x-atlassian-webhook-identifier': 'wh-app-1' };
    const a = await post(C, body, headers);
    expect(a.status, JSON.stringify(a.body)).toBe(202);
    const id = a.body.deliveries[0].handoffId;
    const r = await post(C, body, {
      authorization: `JWT ${connectJwt(C, { iat: Math.floor(Date.now() / 1000) - 1 })}`,
      'x-atlassian-webhook-identifier': 'wh-app-1',
    });
    expect(r.body.deliveries).toEqual([{ outcome: 'duplicate', handoffId: id }]);
    expect(await attempt(() => post(C, body, headers))).toEqual(refused(/seen before/));
  });

  it('JWT: expired, for another request (qsh), signed with another secret, or alg none: 401', async () => {
    const body = issueEvent('APP-2');
    const now = Math.floor(Date.now() / 1000);
    const send = (token: string) => () =>
      post(C, body, { authorization: `JWT ${token}`, 'x-atlassian-webhook-identifier': 'wh-app-2' });
    expect(await attempt(send(connectJwt(C, { iat: now - 600, exp: now - 300 })))).toEqual(
      refused(/expired/),
    );
    expect(await attempt(send(connectJwt(C, { qshPath: '/v1/intake/jira-connect/other' })))).toEqual(
      refused(/qsh/),
    );
    expect(await attempt(send(connectJwt(C, { secret: 'wrong' })))).toEqual(refused(/does not verify/));
    const [, claims] = connectJwt(C).split('.');
    expect(await attempt(send(`${b64url(JSON.stringify({ alg: 'none', typ: 'JWT' }))}.${claims}.`))).toEqual(
      refused(/HS256/),
    );
    expect(await attempt(() => post(C, body, { 'x-atlassian-webhook-identifier': 'wh-app-2' }))).toEqual(
      refused(/JWT/),
    );
  });
});

describe('generic signed webhooks', () => {
  const P = '/v1/intake/partner/partner-orders';
  it('signed (plain hex or sha256=): a handoff, the body as input; redelivered → the same; the same request → 401', async () => {
    const body = JSON.stringify({ order: 'PO-77', type: 'order.created' });
    const headers = partnerHeaders(body, 'dlv-77');
    const a = await post(P, body, headers);
    expect(a.status, JSON.stringify(a.body)).toBe(202);
    const id = a.body.deliveries[0].handoffId;
    expect((await env.baton.get(id)).input).toEqual({ order: 'PO-77', type: 'order.created' });
    const r = await post(
      P,
      body,
      partnerHeaders(body, 'dlv-77', { at: Math.floor(Date.now() / 1000) + 1, prefix: true }),
    );
    expect(r.body.deliveries).toEqual([{ outcome: 'duplicate', handoffId: id }]);
    expect(await attempt(() => post(P, body, headers))).toEqual(refused(/seen before/));
  });

  it('a wrong signature, a stale timestamp, a missing timestamp: 401', async () => {
    const body = JSON.stringify({ order: 'PO-78' });
    expect(
      await attempt(() => post(P, body, partnerHeaders(body, 'd78', { secret: 'x'.repeat(32) }))),
    ).toEqual(refused(/does not match/));
    expect(
      await attempt(() =>
        post(P, body, partnerHeaders(body, 'd78', { at: Math.floor(Date.now() / 1000) - 301 })),
      ),
    ).toEqual(refused(/more than 300 s/));
    const h = partnerHeaders(body, 'd78');
    expect(await attempt(() => post(P, body, { 'x-signature': h['x-signature'] }))).toEqual(
      refused(/X-Timestamp/),
    );
  });

  it('malformed JSON after a valid signature: 202 with the dead-letter entry; an input the schema refuses too', async () => {
    const body = '{"order": "PO-79",';
    const a = await post(P, body, partnerHeaders(body, 'd79'));
    expect(a.status).toBe(202);
    expect(a.body.deliveries).toMatchObject([{ outcome: 'failed', reason: 'unparseable' }]);
    const f = await env.baton.intakeFailure(a.body.deliveries[0].failureId);
    expect(f.payload.body).toBe(body);
    expect(f.payload.meta?.['x-webhook-id']).toBe('d79');
    expect(f.payload.meta?.['x-signature']).toBeUndefined();

    const bad = Buffer.from([0x7b, 0x22, 0x6f, 0xff, 0x22, 0x7d]); // {"o\xff"}: not UTF-8
    const b = await post(P, bad, partnerHeaders(bad, 'd80'));
    expect(b.body.deliveries).toMatchObject([{ outcome: 'failed', reason: 'unparseable' }]);
    const kept = await env.baton.intakeFailure(b.body.deliveries[0].failureId);
    expect(kept.message).toMatch(/not valid UTF-8 at byte 3/);
    expect([kept.payload.encoding, Buffer.from(kept.payload.body, 'base64').equals(bad)]).toEqual([
      'base64',
      true,
    ]);

    const wrong = JSON.stringify({ order: 42 });
    const c = await post(P, wrong, partnerHeaders(wrong, 'd81'));
    expect(c.body.deliveries).toMatchObject([{ outcome: 'failed', reason: 'invalid_input' }]);
  });
});

describe('routing', () => {
  it('an unknown connector, a connector without webhooks, a flow without that trigger: 404', async () => {
    const body = JSON.stringify({ order: 'x' });
    const h = partnerHeaders(body, 'r1');
    expect((await post('/v1/intake/nobody/partner-orders', body, h)).status).toBe(404);
    expect((await post('/v1/intake/partner/hubspot-contacts', body, h)).status).toBe(404);
    expect((await post('/v1/intake/partner/no-such-flow', body, h)).status).toBe(404);
    // The Slack routes are still the Slack routes.
    expect((await post('/v1/intake/slack/events', '{}', {})).status).toBe(404);
  });
});

describe('webhook triggers at load', () => {
  it('a configured webhooks.NAME must be of a type with webhooks, with its secret; an unconfigured one is off', async () => {
    const yaml = readFileSync(path.join(EXAMPLES, 'baton.yaml'), 'utf8');
    const p = tempProject({
      'baton.yaml': `${yaml}\nconnectors:\n  zendesk: { endpointUri: "http://127.0.0.1:9/api/v2", username: a@b.c, token: t }\n  db: { type: sql, url: "sqlite::memory:", statements: {} }\n`,
      'flows/a.yaml': flow('a', '  webhooks:\n    zendesk: {}', '{ type: object }'),
      'flows/b.yaml': flow('b', '  webhooks:\n    nowhere: {}', '{ type: object }'),
      'flows/c.yaml': flow('c', '  webhooks:\n    db: {}', '{ type: object }'),
      'flows/d.yaml': flow('d', '  webhooks:\n    failed: {}', '{ type: object }'),
    });
    try {
      const err = (await loadProject(p.dir).catch((e: unknown) => e)) as BatonError;
      expect(err).toBeInstanceOf(BatonError);
      const text = JSON.stringify(err.details);
      expect(text).toContain('connector zendesk has no webhookSecret');
      expect(text).not.toContain('nowhere');
      expect(text).toMatch(/connector db is of type sql, which has no webhooks/);
      expect(text).toMatch(/a connector named failed cannot take webhooks/);
      const ok = tempProject({
        'baton.yaml': yaml,
        'flows/b.yaml': flow('b', '  webhooks:\n    nowhere: {}', '{ type: object }'),
      });
      try {
        const project = await loadProject(ok.dir);
        const warnings = offTriggerWarnings(project);
        expect(warnings).toEqual([
          expect.objectContaining({
            path: 'trigger.webhooks.nowhere',
            message: expect.stringMatching(/this trigger is off: .*not live: no connector nowhere/),
          }),
        ]);
      } finally {
        ok.cleanup();
      }
    } finally {
      p.cleanup();
    }
  });
});
