// The OpenAPI document against the server's real answers. The test walks the document: every
// operation and every status it declares is driven on a real server (or listed below as not
// drivable, with why), and each answer's content type, declared headers and body are checked
// with a strict validator (additionalProperties as the document declares them). An answer with
// a status the document does not declare fails too, so documentation and behaviour cannot drift.
import { readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { LinkIssuer } from '../../src/channels/links.ts';
import { startChannels } from '../support/channels.ts';
import { bigLead } from '../support/project.ts';
import { createHmac } from 'node:crypto';
import { signedRequest, startFakeSlack, type FakeSlack } from '../support/slack-api.ts';
import { BROKEN_FLOW_FILES } from '../support/broken-flow.ts';
import { startTemp, waitFor, type TempServer } from './helpers.ts';
import { TICKET_FLOW } from '../support/ticket-flow.ts';

type Json = Record<string, unknown>;
type Channels = Awaited<ReturnType<typeof startChannels>>;

const PARTNER_SECRET = 'partner-secret-for-conformance-0001';
/** A generic signed webhook connector, beside Slack (appended under `connectors:`). */
const PARTNER = `  partner: { type: webhook, secret: "${PARTNER_SECRET}" }\n`;
const FILES = {
  // Intake from a vendor's webhook and from a Slack channel.
  'flows/partner-in.yaml': `id: partner-in
name: Partner in
boundary: { from: team:ops, to: team:support }
trigger: { webhooks: { partner: {} } }
input: { type: object, required: [id], properties: { id: { type: string } } }
decide: { otherwise: { owner: user:kim } }
actions: []
handoff: { to: '\${decision.owner}' }
`,
  'flows/slack-in.yaml': `id: slack-in
name: Slack in
boundary: { from: team:ops, to: team:support }
trigger: { slack: { channels: [C0CONF], on: [message, shortcut], map: { text: slack.text } } }
input: { type: object, required: [text], properties: { text: { type: string } } }
decide: { otherwise: { owner: user:kim } }
actions: []
handoff: { to: '\${decision.owner}' }
`,
  // A ticket without its customer escalates (contract_unmet): one to amend.
  'flows/ticket.yaml': TICKET_FLOW,
  // An action that always fails: a failed handoff to retry, a failed action to resolve.
  ...BROKEN_FLOW_FILES,
  'flows/shadowed.yaml': `id: shadowed
name: Shadowed
boundary: { from: team:ops, to: team:support }
input: { type: object, required: [id], properties: { id: { type: string } } }
idempotencyKey: input.id
decide: { otherwise: { owner: user:kim } }
actions: []
mode: shadow
handoff: { to: '\${decision.owner}' }
`,
  // A flow written in TypeScript: the console does not edit it (409).
  'flows/typed.flow.mjs': `export default {
  id: 'typed', name: 'Typed', boundary: { from: 'team:ops', to: 'team:support' },
  input: { type: 'object' }, decide: { otherwise: { owner: 'user:kim' } },
};
`,
  // Only people hand work to it (baton send): the webhook route refuses it.
  'flows/by-hand.yaml': `id: by-hand
name: By hand
boundary: { from: team:ops, to: team:support }
trigger: { manual: {} }
input: { type: object, required: [id], properties: { id: { type: string } } }
idempotencyKey: input.id
decide: { otherwise: { owner: user:kim } }
actions: []
handoff: { to: '\${decision.owner}' }
`,
};

interface Answer {
  status: number;
  headers: Headers;
  text: string;
}

interface Req {
  token?: string;
  body?: unknown;
  raw?: string | Uint8Array;
  headers?: Record<string, string>;
}

const lead = (id: string) => ({ id, company: 'Acme', email: 'jo@acme.com' });
const BAD_ESCAPE = '%E0%A4%A';
const settled = (state: string) => !['received', 'building_context', 'deciding', 'acting'].includes(state);

let slack: FakeSlack;
let env: Channels;
let plain: TempServer;
let doc: Json;
const tokens: Record<string, string> = {};
const ids: Record<string, string> = {};

async function send(base: string, method: string, url: string, o: Req = {}): Promise<Answer> {
  const headers: Record<string, string> = { ...o.headers };
  if (o.token) headers['authorization'] = `Bearer ${o.token}`;
  let body: string | Uint8Array | undefined = o.raw;
  if (body === undefined && o.body !== undefined) {
    body = JSON.stringify(o.body);
    headers['content-type'] ??= 'application/json';
  }
  const res = await fetch(base + url, { method, headers, ...(body !== undefined ? { body } : {}) });
  // A stream answers forever: read only its first event.
  if ((res.headers.get('content-type') ?? '').startsWith('text/event-stream')) {
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = '';
    while (!/\nevent: handoff\n[^]*?\n\n/.test(text)) {
      const { value, done } = await reader.read();
      if (done) break;
      text += value;
    }
    await reader.cancel();
    return { status: res.status, headers: res.headers, text };
  }
  return { status: res.status, headers: res.headers, text: await res.text() };
}

const api = (method: string, url: string, o: Req = {}) => send(env.url, method, url, o);

async function settle(id: string): Promise<void> {
  await waitFor(async () => settled((await env.baton.store.get(id))?.handoff.state ?? 'received'));
}

async function intake(flow: string, input: Json): Promise<string> {
  const r = await env.baton.send(flow, input, { kind: 'system', id: 'test' });
  await settle(r.id);
  return r.id;
}

let serial = 0;
const fresh = () => intake('lead-to-owner', lead(`C${++serial}`));

/** Fills `{name}` path parameters. */
const fill = (p: string, values: Record<string, string>) =>
  p.replace(/\{(\w+)\}/g, (_, name: string) => values[name] ?? `no_such_${name}`);

// ---- the document, compiled strictly

let ajv: Ajv2020;
const validators = new Map<unknown, ValidateFunction>();

/** `#/components/schemas/X` becomes `#/$defs/X`, so each schema compiles on its own. */
function localRefs(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(localRefs);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [
      k,
      k === '$ref' && typeof v === 'string' ? v.replace('#/components/schemas/', '#/$defs/') : localRefs(v),
    ]),
  );
}

function validatorOf(schema: Json): ValidateFunction {
  let v = validators.get(schema);
  if (!v) {
    const components = (doc.components as { schemas: Json }).schemas;
    v = ajv.compile({ ...(localRefs(schema) as Json), $defs: localRefs(components) as Json });
    validators.set(schema, v);
  }
  return v;
}

const mediaType = (h: Headers) => (h.get('content-type') ?? '').split(';', 1)[0]!.trim();

/** Checks one answer against what the document says of that operation and status. */
function conform(method: string, p: string, a: Answer): void {
  const where = `${method.toUpperCase()} ${p} → ${a.status}`;
  const op = ((doc.paths as Record<string, Record<string, Json>>)[p] ?? {})[method];
  expect(op, `${method} ${p} is in the document`).toBeDefined();
  const responses = op!.responses as Record<string, Json>;
  const r = responses[String(a.status)];
  expect(r, `${where} is documented (body: ${a.text.slice(0, 200)})`).toBeDefined();
  const content = r!.content as Record<string, { schema?: Json }> | undefined;
  if (content) {
    const type = mediaType(a.headers);
    expect(Object.keys(content), `${where}: content type`).toContain(type);
    const schema = content[type]!.schema;
    if (schema && method !== 'head') {
      const body: unknown =
        type === 'text/event-stream'
          ? JSON.parse(/\nevent: handoff\n(?:id: .*\n)?data: (.*)\n/.exec(a.text)![1]!)
          : JSON.parse(a.text);
      const v = validatorOf(schema);
      expect(v(body) ? [] : v.errors, `${where}: body ${a.text.slice(0, 300)}`).toEqual([]);
    }
  } else {
    expect(a.text, `${where}: no body documented`).toBe('');
  }
  for (const [name, h] of Object.entries((r!.headers ?? {}) as Record<string, Json>)) {
    const value = a.headers.get(name);
    if (h.required) expect(value, `${where}: header ${name}`).not.toBeNull();
    if (value !== null && h.schema) {
      const v = validatorOf(h.schema as Json);
      expect(v(value) ? [] : v.errors, `${where}: header ${name}: ${value}`).toEqual([]);
    }
  }
}

// ---- set-up

beforeAll(async () => {
  slack = await startFakeSlack();
  env = await startChannels({ slackApiUrl: slack.url, extra: PARTNER }, FILES);
  plain = await startTemp();
  for (const [user, access] of [
    ['kim', 'viewer'],
    ['sam', 'viewer'],
    ['ops', 'operator'],
    ['dana', 'admin'],
  ] as const) {
    tokens[user] = (await env.baton.createToken(user, access)).token;
  }
  tokens.intake = (await env.baton.createToken('kim', 'intake')).token;
  const docAnswer = await api('GET', '/v1/openapi.json');
  doc = JSON.parse(docAnswer.text) as Json;
  ajv = new Ajv2020({ strict: true, allErrors: true });
  addFormats.default(ajv);
  ids.cancelled = await fresh();
  await env.baton.cancel(ids.cancelled, { user: 'ops', access: 'operator', via: 'api' });
  ids.approval = await intake('lead-to-owner', bigLead('BIG1', { submittedBy: 'kim' }));
}, 60_000);

afterAll(async () => {
  vi.restoreAllMocks();
  await plain?.close();
  await env?.close();
  await slack?.close();
});

// ---- what drives each documented answer

type Driver = () => Promise<Answer>;
/** `METHOD path status` → how to get that answer. */
type Drivers = Record<string, Driver>;

/** The lowest token the route's access refuses (403). */
const refusedToken = (access: string) =>
  access === 'intake'
    ? tokens.kim!
    : access === 'operate' || access === 'admin'
      ? tokens.kim!
      : tokens.intake!;
/** A token the route's access admits. */
const admittedToken = (access: string) =>
  access === 'intake'
    ? tokens.intake!
    : access === 'operate' || access === 'admin'
      ? tokens.dana!
      : tokens.dana!;

/** Answers every route has in the same way: 401, 403, 422, and for POST 400, 413, 415. */
function generic(method: string, p: string, op: Json, status: number): Driver | undefined {
  const access = op['x-baton-access'] as string;
  if (access === 'slack-signature' || access === 'link-token' || access === 'vendor-signature')
    return undefined;
  const m = method.toUpperCase();
  const url = fill(p, { id: ids.cancelled!, flow: 'lead-to-owner', action: 'task' });
  const post = m !== 'GET' && m !== 'HEAD';
  const body = post ? { body: {} } : {};
  switch (status) {
    case 401:
      return () => api(m, url, { ...body, headers: { authorization: 'Bearer bt_not_a_token' } });
    case 403:
      return () => api(m, url, { ...body, token: refusedToken(access) });
    case 422:
      return () => api(m, `${url}?x=1`, { ...body, token: admittedToken(access) });
    case 400:
      if (post)
        return () =>
          api(m, url, {
            raw: '{"a":',
            headers: { 'content-type': 'application/json' },
            token: admittedToken(access),
          });
      return () =>
        api(m, p.replace(/\{\w+\}/, BAD_ESCAPE).replace(/\{\w+\}/g, 'x'), { token: admittedToken(access) });
    case 413:
      return () =>
        api(m, url, {
          raw: `{"pad":"${'p'.repeat(1024 * 1024 + 10)}"}`,
          headers: { 'content-type': 'application/json' },
          token: admittedToken(access),
        });
    case 415:
      return () =>
        api(m, url, {
          raw: '<a/>',
          headers: { 'content-type': 'application/xml' },
          token: admittedToken(access),
        });
    default:
      return undefined;
  }
}

const slackPost = (
  base: string,
  p: string,
  body: string,
  contentType = 'application/x-www-form-urlencoded',
) => {
  const signed = signedRequest(body);
  return send(base, 'POST', p, { raw: body, headers: { ...signed.headers, 'content-type': contentType } });
};
const INTERACTIONS = '/v1/intake/slack/interactions';
const EVENTS = '/v1/intake/slack/events';
const WEBHOOK = '/v1/intake/{connector}/{flow}';

/** Signed as the generic webhook connector documents: hex HMAC-SHA256 of `${timestamp}.${body}`. */
function partnerPost(p: string, body: string) {
  const ts = String(Math.floor(Date.now() / 1000));
  const sig = createHmac('sha256', PARTNER_SECRET).update(`${ts}.${body}`).digest('hex');
  return send(env.url, 'POST', p, {
    raw: body,
    headers: {
      'content-type': 'application/json',
      'x-signature': sig,
      'x-timestamp': ts,
      'x-webhook-id': `w-${++serial}`,
    },
  });
}
/** Answers while the store refuses to remember or keep anything. */
async function storeDown<T>(method: 'deliver' | 'rememberRequest', run: () => Promise<T>): Promise<T> {
  const spy = vi.spyOn(env.baton, method).mockRejectedValue(new Error('database is locked'));
  const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
  try {
    return await run();
  } finally {
    spy.mockRestore();
    warn.mockRestore();
  }
}
const slackMessage = () =>
  JSON.stringify({
    type: 'event_callback',
    team_id: 'T1',
    api_app_id: 'A1',
    event_id: `EvCONF${++serial}`,
    event_time: 1,
    event: { type: 'message', channel: 'C0CONF', user: 'U0KIM', text: 'hello', ts: `1765.${++serial}` },
  });
const LINK = '/v1/email/links/{token}';

async function linkFor(approvalId: string, handoffId: string, minutes = 60): Promise<string> {
  const issued = await new LinkIssuer(env.baton.store, env.url, minutes).issue(
    'approve',
    approvalId,
    handoffId,
    'sam',
  );
  return issued.url.slice(issued.url.lastIndexOf('/') + 1);
}
const form = (token: string, fields: Record<string, string>) =>
  api('POST', `/v1/email/links/${token}`, {
    raw: new URLSearchParams(fields).toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
  });
async function pendingApproval(name: string) {
  const handoffId = await intake('lead-to-owner', bigLead(name));
  const [a] = await env.baton.approvals('pending', handoffId);
  return { handoffId, approvalId: a!.id };
}

/** A delivery the flow does not take (it has no such trigger): kept in the dead-letter list. */
async function keptDelivery(): Promise<string> {
  const r = await env.baton.deliver({
    flow: 'lead-to-owner',
    trigger: 'webhooks.partner',
    key: `d${++serial}`,
    raw: { contentType: 'application/json', encoding: 'utf8', body: '{"id":"x"}', bytes: 10 },
  });
  if (r.outcome !== 'failed') throw new Error(`expected the delivery to be kept, got ${r.outcome}`);
  return r.failureId;
}

/** The answers only a particular state of the world gives. */
function specific(): Drivers {
  const { kim, ops, dana, sam } = tokens as { kim: string; ops: string; dana: string; sam: string };
  const cancelled = ids.cancelled!;
  const command = (name: string, body: Json, token: string, make: () => Promise<string> = fresh) => ({
    [`POST /v1/handoffs/{id}/${name} 200`]: async () =>
      api('POST', `/v1/handoffs/${await make()}/${name}`, { token, body }),
    [`POST /v1/handoffs/{id}/${name} 404`]: () => api('POST', `/v1/handoffs/h_nope/${name}`, { token, body }),
    [`POST /v1/handoffs/{id}/${name} 409`]: () =>
      api('POST', `/v1/handoffs/${cancelled}/${name}`, { token, body }),
  });
  const accepted = async () => {
    const id = await fresh();
    await env.baton.accept(id, { user: 'kim', access: 'viewer', via: 'api' });
    return id;
  };
  const failed = () => intake('broken', { id: `B${++serial}` });
  const unmet = async () => {
    const r = await api('POST', '/v1/flows/ticket/handoffs', {
      token: tokens.intake!,
      body: { id: `T${++serial}` },
    });
    const id = (JSON.parse(r.text) as { id: string }).id;
    await settle(id);
    return id;
  };
  return {
    'POST /v1/flows/{flow}/handoffs 202': () =>
      api('POST', '/v1/flows/lead-to-owner/handoffs', { token: tokens.intake!, body: lead('I1') }),
    'POST /v1/flows/{flow}/handoffs 404': () =>
      api('POST', '/v1/flows/nope/handoffs', { token: tokens.intake!, body: lead('I2') }),
    'POST /v1/flows/{flow}/handoffs 409': () =>
      api('POST', '/v1/flows/by-hand/handoffs', { token: tokens.intake!, body: { id: 'M1' } }),
    'GET /v1/flows/{flow}/handoffs/{key} 200': async () => {
      await api('POST', '/v1/flows/lead-to-owner/handoffs', { token: tokens.intake!, body: lead('K1') });
      return api('GET', '/v1/flows/lead-to-owner/handoffs/K1', { token: dana });
    },
    'GET /v1/flows/{flow}/handoffs/{key} 404': () =>
      api('GET', '/v1/flows/lead-to-owner/handoffs/no-such-key', { token: dana }),
    'POST /v1/flows/reload 200': () => api('POST', '/v1/flows/reload', { token: dana }),
    'GET /v1/connectors 200': () => api('GET', '/v1/connectors', { token: ops }),
    'POST /v1/connectors/check 200': () => api('POST', '/v1/connectors/check', { token: ops }),
    'POST /v1/connectors/{name}/check 200': () => api('POST', '/v1/connectors/slack/check', { token: ops }),
    'POST /v1/connectors/{name}/check 404': () => api('POST', '/v1/connectors/nope/check', { token: ops }),
    'GET /v1/handoffs 200': () => api('GET', '/v1/handoffs?limit=5', { token: dana }),
    'GET /v1/board 200': () =>
      api(
        'GET',
        `/v1/board?flow=lead-to-owner&boundary=${encodeURIComponent('team:marketing->team:sales-ops')}`,
        {
          token: dana,
        },
      ),
    'GET /v1/handoffs/{id} 200': () => api('GET', `/v1/handoffs/${ids.approval}`, { token: dana }),
    'GET /v1/handoffs/{id} 404': () => api('GET', '/v1/handoffs/h_nope', { token: dana }),
    'GET /v1/handoffs/{id}/commands 200': () =>
      api('GET', `/v1/handoffs/${ids.approval}/commands`, { token: sam }),
    'GET /v1/handoffs/{id}/commands 404': () => api('GET', '/v1/handoffs/h_nope/commands', { token: dana }),
    'GET /v1/intake/failed 200': async () => {
      await keptDelivery();
      return api('GET', '/v1/intake/failed?flow=lead-to-owner&limit=5', { token: dana });
    },
    'GET /v1/intake/failed/{id} 200': async () =>
      api('GET', `/v1/intake/failed/${await keptDelivery()}`, { token: dana }),
    'GET /v1/intake/failed/{id} 404': () => api('GET', '/v1/intake/failed/if_nope', { token: dana }),
    'POST /v1/intake/failed/{id}/replay 200': async () =>
      api('POST', `/v1/intake/failed/${await keptDelivery()}/replay`, { token: ops }),
    'POST /v1/intake/failed/{id}/replay 404': () =>
      api('POST', '/v1/intake/failed/if_nope/replay', { token: ops }),
    'POST /v1/intake/failed/{id}/replay 409': async () => {
      const id = await keptDelivery();
      await api('POST', `/v1/intake/failed/${id}/drop`, { token: ops });
      return api('POST', `/v1/intake/failed/${id}/replay`, { token: ops });
    },
    'POST /v1/intake/failed/{id}/drop 200': async () =>
      api('POST', `/v1/intake/failed/${await keptDelivery()}/drop`, { token: ops }),
    'POST /v1/intake/failed/{id}/drop 404': () =>
      api('POST', '/v1/intake/failed/if_nope/drop', { token: ops }),
    'POST /v1/intake/failed/{id}/drop 409': async () => {
      const id = await keptDelivery();
      await api('POST', `/v1/intake/failed/${id}/drop`, { token: ops });
      return api('POST', `/v1/intake/failed/${id}/drop`, { token: ops });
    },
    'GET /v1/intake/triggers 200': () => api('GET', '/v1/intake/triggers', { token: dana }),
    'GET /v1/session 200': () => api('GET', '/v1/session', { token: dana }),
    'POST /v1/session 200': () => api('POST', '/v1/session', { body: { token: dana } }),
    'POST /v1/session 401': () => api('POST', '/v1/session', { body: { token: 'bt_not_a_token' } }),
    'POST /v1/session 403': () => api('POST', '/v1/session', { body: { token: tokens.intake! } }),
    'POST /v1/session 422': () => api('POST', '/v1/session', { body: { token: '' } }),
    'DELETE /v1/session 204': () => api('DELETE', '/v1/session'),
    ...command('accept', {}, kim),
    ...command('decline', { reason: 'wrong_owner' }, kim),
    ...command('return', { reason: 'missing_info' }, kim, accepted),
    ...command('reassign', { to: 'user:lee' }, ops),
    ...command('complete', {}, kim, accepted),
    ...command('cancel', {}, ops),
    ...command('rollback', {}, ops),
    ...command('retry', {}, ops, failed),
    ...command('observed', { owner: 'user:kim' }, ops, () => intake('shadowed', { id: `S${++serial}` })),
    // Sent with kim's intake token: kim may amend it, sam (neither sender nor owner) may not.
    'PATCH /v1/handoffs/{id}/input 200': async () =>
      api('PATCH', `/v1/handoffs/${await unmet()}/input`, {
        token: tokens.intake!,
        body: { input: { customer: 'Acme' } },
      }),
    'PATCH /v1/handoffs/{id}/input 403': async () =>
      api('PATCH', `/v1/handoffs/${await unmet()}/input`, {
        token: sam,
        body: { input: { customer: 'Acme' } },
      }),
    'PATCH /v1/handoffs/{id}/input 404': () =>
      api('PATCH', '/v1/handoffs/h_nope/input', { token: ops, body: { input: { customer: 'Acme' } } }),
    'PATCH /v1/handoffs/{id}/input 409': () =>
      api('PATCH', `/v1/handoffs/${cancelled}/input`, { token: ops, body: { input: { company: 'Other' } } }),
    'POST /v1/handoffs/{id}/actions/{action}/resolve 200': async () =>
      api('POST', `/v1/handoffs/${await failed()}/actions/call/resolve`, {
        token: ops,
        body: { outcome: 'failed' },
      }),
    'POST /v1/handoffs/{id}/actions/{action}/resolve 404': async () =>
      api('POST', `/v1/handoffs/${await failed()}/actions/nope/resolve`, {
        token: ops,
        body: { outcome: 'failed' },
      }),
    'POST /v1/handoffs/{id}/actions/{action}/resolve 409': () =>
      api('POST', `/v1/handoffs/${cancelled}/actions/task/resolve`, {
        token: ops,
        body: { outcome: 'failed' },
      }),
    'GET /v1/approvals 200': () => api('GET', '/v1/approvals', { token: dana }),
    'POST /v1/approvals/{id} 200': async () => {
      const { approvalId } = await pendingApproval('BIG2');
      return api('POST', `/v1/approvals/${approvalId}`, {
        token: sam,
        body: { decision: 'approve', comment: 'ok' },
      });
    },
    'POST /v1/approvals/{id} 404': () =>
      api('POST', '/v1/approvals/apr_nope', { token: sam, body: { decision: 'approve' } }),
    'POST /v1/approvals/{id} 409': async () => {
      const { approvalId } = await pendingApproval('BIG3');
      await api('POST', `/v1/approvals/${approvalId}`, { token: sam, body: { decision: 'reject' } });
      return api('POST', `/v1/approvals/${approvalId}`, { token: sam, body: { decision: 'approve' } });
    },
    'GET /v1/flows 200': () => api('GET', '/v1/flows', { token: dana }),
    'GET /v1/flows/{flow} 200': () => api('GET', '/v1/flows/lead-to-owner', { token: dana }),
    'GET /v1/flows/{flow} 404': () => api('GET', '/v1/flows/nope', { token: dana }),
    ...flowEditorDrivers(dana),
    'GET /v1/tasks 200': () => api('GET', '/v1/tasks', { token: kim }),
    'GET /v1/inbox 200': () => api('GET', '/v1/inbox?owner=sam', { token: dana }),
    'GET /v1/inbox/waiting 200': () => api('GET', '/v1/inbox/waiting', { token: sam }),
    'GET /v1/audit/verify 200': () => api('GET', '/v1/audit/verify', { token: dana }),
    'GET /v1/events 200': () =>
      api('GET', `/v1/events?handoff=${cancelled}&actor=user:ops&type=cancelled&since=1d&limit=5`, {
        token: dana,
      }),
    'GET /v1/audit/export 200': () => api('GET', `/v1/audit/export?handoff=${cancelled}`, { token: dana }),
    'GET /v1/audit/export 404': () => api('GET', '/v1/audit/export?handoff=h_nope', { token: dana }),
    'GET /healthz 200': () => api('GET', '/healthz'),
    'GET /readyz 200': () => api('GET', '/readyz'),
    'GET /readyz 503': async () => {
      const spy = vi.spyOn(env.baton.store, 'query').mockRejectedValue(new Error('database is locked'));
      try {
        return await api('GET', '/readyz');
      } finally {
        spy.mockRestore();
      }
    },
    'GET /metrics 200': () => api('GET', '/metrics', { token: dana }),
    'GET /v1/intake/attachments/{ref} 200': async () => {
      const ref = `att_${'ab'.repeat(32)}`;
      const bytes = new TextEncoder().encode('<script>alert(1)</script>');
      await env.baton.store.intake.putAttachment({
        ref,
        bytes,
        size: bytes.byteLength,
        contentType: 'text/html',
        filename: 'page.html',
        createdAt: Date.now(),
      });
      return api('GET', `/v1/intake/attachments/${ref}`, { token: kim });
    },
    'GET /v1/intake/attachments/{ref} 404': () =>
      api('GET', `/v1/intake/attachments/att_${'0'.repeat(64)}`, { token: kim }),
    'GET /v1/metrics/summary 200': () =>
      api('GET', '/v1/metrics/summary?since=7d&until=2100-01-01&boundary=team:marketing-%3Eteam:sales', {
        token: dana,
      }),
    'GET /v1/stream 200': async () => {
      const answer = api('GET', '/v1/stream', { token: dana });
      // The stream sends an event for the next commit.
      setTimeout(() => void fresh(), 100);
      return answer;
    },
    'GET /v1/openapi.json 200': () => api('GET', '/v1/openapi.json'),

    [`POST ${INTERACTIONS} 200`]: () =>
      slackPost(
        env.url,
        INTERACTIONS,
        `payload=${encodeURIComponent(JSON.stringify({ type: 'view_submission', user: { id: 'U0SAM' }, view: { id: 'V1', callback_id: 'other', private_metadata: '', state: { values: {} } } }))}`,
      ),
    [`POST ${INTERACTIONS} 400`]: () => slackPost(env.url, INTERACTIONS, 'payload=%7Bnot-json'),
    [`POST ${INTERACTIONS} 401`]: () =>
      send(env.url, 'POST', INTERACTIONS, {
        raw: 'payload=%7B%7D',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      }),
    [`POST ${INTERACTIONS} 404`]: () => slackPost(plain.url, INTERACTIONS, 'payload=%7B%7D'),
    [`POST ${INTERACTIONS} 413`]: () =>
      slackPost(env.url, INTERACTIONS, `payload=${'p'.repeat(1024 * 1024 + 10)}`),
    [`POST ${INTERACTIONS} 503`]: () =>
      storeDown('deliver', () =>
        slackPost(
          env.url,
          INTERACTIONS,
          `payload=${encodeURIComponent(JSON.stringify({ type: 'message_action', callback_id: 'x', user: { id: 'U0KIM' }, channel: { id: 'C0CONF' }, message_ts: '1.2', message: { ts: '1.2', text: 'hi' } }))}`,
        ),
      ),
    [`POST ${EVENTS} 200`]: () =>
      slackPost(
        env.url,
        EVENTS,
        JSON.stringify({ type: 'url_verification', challenge: 'c-123' }),
        'application/json',
      ),
    [`POST ${EVENTS} 400`]: () => slackPost(env.url, EVENTS, '{"type":', 'application/json'),
    [`POST ${EVENTS} 401`]: () =>
      send(env.url, 'POST', EVENTS, { raw: '{}', headers: { 'content-type': 'application/json' } }),
    [`POST ${EVENTS} 404`]: () => slackPost(plain.url, EVENTS, '{}', 'application/json'),
    [`POST ${EVENTS} 413`]: () =>
      slackPost(env.url, EVENTS, `{"pad":"${'p'.repeat(1024 * 1024 + 10)}"}`, 'application/json'),
    [`POST ${EVENTS} 503`]: () =>
      storeDown('deliver', () => slackPost(env.url, EVENTS, slackMessage(), 'application/json')),
    [`POST ${WEBHOOK} 202`]: () =>
      partnerPost('/v1/intake/partner/partner-in', JSON.stringify({ id: 'P-1' })),
    [`POST ${WEBHOOK} 401`]: () =>
      send(env.url, 'POST', '/v1/intake/partner/partner-in', {
        raw: '{"id":"P-2"}',
        headers: { 'content-type': 'application/json' },
      }),
    [`POST ${WEBHOOK} 404`]: () => partnerPost('/v1/intake/partner/lead-to-owner', '{"id":"P-3"}'),
    [`POST ${WEBHOOK} 413`]: () =>
      partnerPost('/v1/intake/partner/partner-in', `{"pad":"${'p'.repeat(1024 * 1024 + 10)}"}`),
    [`POST ${WEBHOOK} 503`]: () =>
      storeDown('rememberRequest', () => partnerPost('/v1/intake/partner/partner-in', '{"id":"P-4"}')),

    ...linkDrivers('GET'),
    ...linkDrivers('HEAD'),
    [`POST ${LINK} 200`]: async () => {
      const { handoffId, approvalId } = await pendingApproval('BIG4');
      const token = await linkFor(approvalId, handoffId);
      return form(token, { token, decision: 'approve' });
    },
    [`POST ${LINK} 403`]: async () => {
      const { handoffId, approvalId } = await pendingApproval('BIG5');
      const token = await linkFor(approvalId, handoffId);
      return api('POST', `/v1/email/links/${token}`, {
        raw: new URLSearchParams({ token, decision: 'approve' }).toString(),
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'sec-fetch-site': 'cross-site' },
      });
    },
    [`POST ${LINK} 404`]: () => form('bl_nope', { token: 'bl_nope', decision: 'approve' }),
    [`POST ${LINK} 409`]: async () => {
      const { handoffId, approvalId } = await pendingApproval('BIG6');
      const token = await linkFor(approvalId, handoffId);
      await env.baton.decide(approvalId, { user: 'sam', access: 'viewer', via: 'api' }, 'approve');
      return form(token, { token, decision: 'reject' });
    },
    [`POST ${LINK} 410`]: async () => {
      const { handoffId, approvalId } = await pendingApproval('BIG7');
      const token = await linkFor(approvalId, handoffId, -1);
      return form(token, { token, decision: 'approve' });
    },
    [`POST ${LINK} 413`]: () => form('bl_nope', { token: 'bl_nope', pad: 'p'.repeat(1024 * 1024 + 10) }),
    [`POST ${LINK} 415`]: () => api('POST', '/v1/email/links/bl_nope', { body: { token: 'bl_nope' } }),
    [`POST ${LINK} 422`]: async () => {
      const { handoffId, approvalId } = await pendingApproval('BIG8');
      const token = await linkFor(approvalId, handoffId);
      return form(token, { decision: 'approve' });
    },
  };
}

/** Version history, drafts, eval runs and saves of flow files. */
function flowEditorDrivers(admin: string): Drivers {
  const shadowed = () => readFileSync(path.join(env.baton.project.dir, 'flows/shadowed.yaml'), 'utf8');
  const mode = [{ op: 'set', path: ['mode'], value: 'suggest' }];
  return {
    'GET /v1/flows/{flow}/versions 200': () =>
      api('GET', '/v1/flows/lead-to-owner/versions', { token: admin }),
    'GET /v1/flows/{flow}/versions 404': () => api('GET', '/v1/flows/nope/versions', { token: admin }),
    'GET /v1/flows/{flow}/versions/{version} 200': () =>
      api('GET', `/v1/flows/lead-to-owner/versions/${env.baton.flowDetail('lead-to-owner').version}`, {
        token: admin,
      }),
    'GET /v1/flows/{flow}/versions/{version} 404': () =>
      api('GET', '/v1/flows/lead-to-owner/versions/nope', { token: admin }),
    'POST /v1/flows/{flow}/draft 200': () =>
      api('POST', '/v1/flows/shadowed/draft', { token: admin, body: { changes: mode } }),
    'POST /v1/flows/{flow}/draft 404': () =>
      api('POST', '/v1/flows/nope/draft', { token: admin, body: { changes: mode } }),
    'POST /v1/flows/{flow}/draft 409': () =>
      api('POST', '/v1/flows/typed/draft', { token: admin, body: { changes: mode } }),
    'POST /v1/flows/{flow}/eval 200': () =>
      api('POST', '/v1/flows/lead-to-owner/eval', { token: admin, body: {} }),
    'POST /v1/flows/{flow}/eval 404': () => api('POST', '/v1/flows/nope/eval', { token: admin, body: {} }),
    // More runs at once than the queue takes: the ones past it are refused, to retry later.
    'POST /v1/flows/{flow}/eval 429': async () => {
      const all = await Promise.all(
        Array.from({ length: 10 }, () =>
          api('POST', '/v1/flows/lead-to-owner/eval', { token: admin, body: {} }),
        ),
      );
      return all.find((a) => a.status === 429) ?? all[0]!;
    },
    'POST /v1/flows/{flow}/eval 409': () =>
      api('POST', '/v1/flows/typed/eval', { token: admin, body: { yaml: 'id: typed' } }),
    'PUT /v1/flows/{flow} 200': () =>
      api('PUT', '/v1/flows/shadowed', {
        token: admin,
        body: {
          yaml: shadowed().replace('name: Shadowed', 'name: Shadowed, saved'),
          expectedVersion: env.baton.flowDetail('shadowed').version,
        },
      }),
    'PUT /v1/flows/{flow} 404': () =>
      api('PUT', '/v1/flows/nope', { token: admin, body: { yaml: 'id: nope', expectedVersion: 'x' } }),
    'PUT /v1/flows/{flow} 409': () =>
      api('PUT', '/v1/flows/shadowed', {
        token: admin,
        body: { yaml: shadowed(), expectedVersion: 'stale' },
      }),
  };
}

function linkDrivers(method: 'GET' | 'HEAD'): Drivers {
  const page = (token: string) => api(method, `/v1/email/links/${token}`);
  return {
    [`${method} ${LINK} 200`]: async () => {
      const { handoffId, approvalId } = await pendingApproval(`BIG-${method}-1`);
      return page(await linkFor(approvalId, handoffId));
    },
    [`${method} ${LINK} 404`]: () => page('bl_nope'),
    [`${method} ${LINK} 409`]: async () => {
      const { handoffId, approvalId } = await pendingApproval(`BIG-${method}-2`);
      const token = await linkFor(approvalId, handoffId);
      await env.baton.decide(approvalId, { user: 'sam', access: 'viewer', via: 'api' }, 'approve');
      return page(token);
    },
    [`${method} ${LINK} 410`]: async () => {
      const { handoffId, approvalId } = await pendingApproval(`BIG-${method}-3`);
      return page(await linkFor(approvalId, handoffId, -1));
    },
  };
}

/** Documented answers no test can bring about on purpose, and why. */
const NOT_DRIVEN: Record<string, string> = {};

describe('the OpenAPI document matches the answers', () => {
  it('drives every documented operation and status, and each answer conforms', async () => {
    const drivers = specific();
    const paths = doc.paths as Record<string, Record<string, Json>>;
    const missing: string[] = [];
    let checked = 0;
    for (const [p, ops] of Object.entries(paths)) {
      for (const [method, op] of Object.entries(ops)) {
        for (const status of Object.keys(op.responses as Json).map(Number)) {
          const key = `${method.toUpperCase()} ${p} ${status}`;
          const drive = drivers[key] ?? generic(method, p, op, status);
          if (!drive) {
            if (!NOT_DRIVEN[key]) missing.push(key);
            continue;
          }
          const a = await drive();
          expect(a.status, `${key}: ${a.text.slice(0, 300)}`).toBe(status);
          conform(method, p, a);
          checked++;
        }
      }
    }
    expect(missing, 'documented answers without a driver').toEqual([]);
    // Drivers for answers the document does not declare are stale.
    const documented = new Set(
      Object.entries(paths).flatMap(([p, ops]) =>
        Object.entries(ops).flatMap(([m, op]) =>
          Object.keys(op.responses as Json).map((s) => `${m.toUpperCase()} ${p} ${s}`),
        ),
      ),
    );
    expect(Object.keys(drivers).filter((k) => !documented.has(k))).toEqual([]);
    expect(checked).toBeGreaterThan(150);
  }, 180_000);

  it('answers of the HTTP parser (431, 400) have the documented error shape', async () => {
    const { port } = new URL(env.url);
    const raw = (text: string) =>
      new Promise<Answer>((resolve, reject) => {
        const socket = net.connect(Number(port), '127.0.0.1', () => socket.write(text));
        let answer = '';
        socket.setEncoding('utf8');
        socket.on('data', (d: string) => (answer += d));
        socket.on('close', () => {
          const [head, body] = answer.split('\r\n\r\n', 2) as [string, string];
          const headers = new Headers();
          for (const line of head.split('\r\n').slice(1)) {
            const i = line.indexOf(':');
            headers.set(line.slice(0, i), line.slice(i + 1).trim());
          }
          resolve({ status: Number(head.split(' ')[1]), headers, text: body });
        });
        socket.on('error', reject);
      });
    const error = validatorOf({ $ref: '#/components/schemas/Error' });
    for (const [request, status] of [
      [`GET /v1/handoffs?flow=${'x'.repeat(40_000)} HTTP/1.1\r\nHost: a\r\n\r\n`, 431],
      ['POST /v1/flows/lead-to-owner/handoffs HTTP/1.1\r\nHost: a\r\nContent-Length: abc\r\n\r\n{}', 400],
    ] as const) {
      const a = await raw(request);
      expect(a.status).toBe(status);
      expect(mediaType(a.headers)).toBe('application/json');
      expect(error(JSON.parse(a.text)) ? [] : error.errors).toEqual([]);
    }
    expect(String(doc.info && (doc.info as Json).description)).toMatch(/431 too_large/);
  });
});
