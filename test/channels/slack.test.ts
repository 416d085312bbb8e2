// Slack end to end: the official SDK's calls reach a local Web API server; signed interaction
// payloads shaped like Slack's decide through the HTTP server; forged, mutated, stale and
// replayed requests change nothing.
import { bigLead } from '../support/project.ts';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startChannels } from '../support/channels.ts';
import {
  blockAction,
  signedRequest,
  startFakeSlack,
  viewSubmission,
  type FakeSlack,
  SIGNING_SECRET,
} from '../support/slack-api.ts';
import { waitFor } from '../http/helpers.ts';
import { signSlack, verifySlackSignature } from '../../src/connectors/slack/signature.ts';

const SUGGEST_FLOW = `id: suggest
name: Suggest test
boundary: { from: team:marketing, to: team:sales-ops }
input: { type: object, required: [id], properties: { id: { type: string } } }
idempotencyKey: input.id
decide:
  otherwise: { owner: team:smb-sales }
actions: []
mode: suggest
handoff: { to: "\${decision.owner}", fallbackOwner: team:sales-ops }
`;

let slack: FakeSlack;
let env: Awaited<ReturnType<typeof startChannels>>;

beforeEach(async () => {
  slack = await startFakeSlack();
  env = await startChannels({ slackApiUrl: slack.url });
});
afterEach(async () => {
  await env.close();
  await slack.close();
});

async function post(path: string, req: { headers: Record<string, string>; body: string }) {
  const res = await fetch(env.url + path, { method: 'POST', headers: req.headers, body: req.body });
  const text = await res.text();
  return { status: res.status, text, body: text ? (JSON.parse(text) as Record<string, unknown>) : undefined };
}

const interact = (body: string, o: { timestamp?: number } = {}) =>
  post('/v1/intake/slack/interactions', signedRequest(body, o));

/** The Slack deliveries of an approval, once recorded as sent (after the Web API answered). */
async function sentDeliveries(approvalId: string) {
  await waitFor(async () => {
    const ds = await env.baton.store.deliveries({ approvalId });
    return ds.length > 0 && ds.every((d) => d.state === 'sent');
  });
  return env.baton.store.deliveries({ approvalId });
}

async function pendingApproval(input: Record<string, unknown>) {
  const r = await env.baton.send('lead-to-owner', input, { kind: 'system', id: 'test', via: 'test' });
  await waitFor(async () => (await env.baton.approvals('pending', r.id)).length === 1);
  const [apr] = await env.baton.approvals('pending', r.id);
  return { handoffId: r.id, approval: apr! };
}

describe('Slack', () => {
  it('DMs the approver a Block Kit message; a signed Approve click decides, labelled slack, and updates the message', async () => {
    const { handoffId, approval } = await pendingApproval(bigLead('S1'));
    await waitFor(async () => slack.of('chat.postMessage').length === 1);
    const [msg] = slack.of('chat.postMessage');
    expect(msg!.auth).toBe('Bearer xoxb-test-token');
    expect(msg!.contentType).toMatch(/application\/x-www-form-urlencoded/);
    expect(msg!.args.channel).toBe('U0SAM'); // sam holds role:sales-manager
    const blocks = msg!.args.blocks as Array<{
      type: string;
      elements?: Array<{ action_id: string; value: string }>;
    }>;
    const buttons = blocks.find((b) => b.type === 'actions')!.elements!;
    expect(buttons.map((b) => b.action_id)).toEqual(['baton_approve', 'baton_reject']);
    expect(buttons[0]!.value).toBe(approval.id);
    const delivered = await sentDeliveries(approval.id);
    expect(delivered).toMatchObject([
      { channel: 'slack', recipient: 'sam', state: 'sent', ref: { channel: 'D0SAM' } },
    ]);
    const ts = delivered[0]!.ref!.ts!;

    // Somebody not on the approvers' list clicks first: refused privately, nothing changes.
    const kim = await interact(
      blockAction({ user: 'U0KIM', actionId: 'baton_approve', value: approval.id, channel: 'D0SAM', ts }),
    );
    expect(kim.status).toBe(200);
    await waitFor(async () => slack.of('chat.postEphemeral').length === 1);
    expect(String(slack.of('chat.postEphemeral')[0]!.args.text)).toMatch(/not an approver/);
    expect((await env.baton.store.approval(approval.id))!.state).toBe('pending');

    const ok = await interact(
      blockAction({ user: 'U0SAM', actionId: 'baton_approve', value: approval.id, channel: 'D0SAM', ts }),
    );
    expect(ok.status).toBe(200);
    const after = (await env.baton.store.approval(approval.id))!;
    expect(after).toMatchObject({
      state: 'approved',
      decidedBy: { label: 'human', user: 'sam', via: 'slack' },
    });
    await waitFor(async () =>
      slack.of('chat.update').some((c) => /Approved by sam via slack/.test(String(c.args.text))),
    );
    const update = slack.of('chat.update').find((c) => c.args.ts === ts)!;
    expect(update.args.channel).toBe('D0SAM');
    expect(JSON.stringify(update.args.blocks)).not.toContain('baton_approve');

    // The record, the event, the list and `show` carry the label, who and the channel.
    const view = await env.baton.get(handoffId);
    const vote = view.events.find((e) => e.type === 'approval_vote')!;
    expect(vote.actor).toEqual({ kind: 'user', id: 'sam', via: 'slack' });
    const approved = view.events.find((e) => e.type === 'action_approved')!;
    expect(approved.data.decidedBy).toEqual({ label: 'human', user: 'sam', via: 'slack' });
    const listed = await fetch(`${env.url}/v1/approvals?handoff=${handoffId}`).then(
      (r) => r.json() as Promise<{ items: Array<{ decidedBy: unknown }> }>,
    );
    expect(listed.items[0]!.decidedBy).toEqual({ label: 'human', user: 'sam', via: 'slack' });

    // First decision wins: a later click is told who decided, the API answers 409.
    const late = await interact(
      blockAction({ user: 'U0SAM', actionId: 'baton_approve', value: approval.id, channel: 'D0SAM', ts }),
    );
    expect(late.status).toBe(200);
    await waitFor(async () =>
      slack
        .of('chat.postEphemeral')
        .some((c) => /Already decided: Approved by sam via slack/.test(String(c.args.text))),
    );
    const token = (await env.baton.createToken('sam', 'viewer')).token;
    const api = await fetch(`${env.url}/v1/approvals/${approval.id}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ decision: 'reject' }),
    });
    expect(api.status).toBe(409);
    expect(((await api.json()) as { error: { code: string; message: string } }).error).toMatchObject({
      code: 'already_decided',
      message: expect.stringMatching(/by sam/),
    });
  });

  it('Reject opens a modal (views.open); its submission rejects with the reason', async () => {
    const { approval } = await pendingApproval(bigLead('S2'));
    await waitFor(async () => slack.of('chat.postMessage').length === 1);
    const [d] = await sentDeliveries(approval.id);
    const r = await interact(
      blockAction({
        user: 'U0SAM',
        actionId: 'baton_reject',
        value: approval.id,
        channel: 'D0SAM',
        ts: d!.ref!.ts!,
        triggerId: 'trig-1',
      }),
    );
    expect(r.status).toBe(200);
    await waitFor(async () => slack.of('views.open').length === 1);
    const open = slack.of('views.open')[0]!;
    expect(open.args.trigger_id).toBe('trig-1');
    const view = open.args.view as { callback_id: string; private_metadata: string };
    expect(view.callback_id).toBe('baton_reject');
    expect((await env.baton.store.approval(approval.id))!.state).toBe('pending'); // opening a modal decides nothing

    const submit = await interact(
      viewSubmission({
        user: 'U0SAM',
        callbackId: view.callback_id,
        metadata: view.private_metadata,
        values: { reason: 'price too low' },
      }),
    );
    expect(submit.status).toBe(200);
    expect(submit.body).toEqual({});
    expect(await env.baton.store.approval(approval.id)).toMatchObject({
      state: 'rejected',
      comment: 'price too low',
      decidedBy: { label: 'human', user: 'sam', via: 'slack' },
    });
    await waitFor(async () =>
      slack
        .of('chat.update')
        .some((c) => /Rejected by sam via slack: "price too low"/.test(String(c.args.text))),
    );

    // A second submission (a stale modal) shows the outcome in the modal instead.
    const again = await interact(
      viewSubmission({
        user: 'U0SAM',
        callbackId: view.callback_id,
        metadata: view.private_metadata,
        values: { reason: 'again' },
      }),
    );
    expect(again.body).toMatchObject({
      response_action: 'errors',
      errors: { reason: expect.stringMatching(/already decided by sam/) },
    });
  });

  it('reaches the owner of handed-off work; only the owner may Accept from Slack', async () => {
    // jo@acme.com belongs to kim's account: the handoff goes to user:kim.
    const r = await env.baton.send(
      'lead-to-owner',
      { id: 'S3', company: 'Acme', email: 'jo@acme.com' },
      { kind: 'system', id: 't' },
    );
    await waitFor(async () =>
      slack
        .of('chat.postMessage')
        .some(
          (c) => c.args.channel === 'U0KIM' && JSON.stringify(c.args.blocks ?? []).includes('baton_accept'),
        ),
    );
    const msg = slack
      .of('chat.postMessage')
      .find((c) => JSON.stringify(c.args.blocks ?? []).includes('baton_accept'))!;
    expect(JSON.stringify(msg.args.blocks)).toContain(r.id);
    const sam = await interact(
      blockAction({ user: 'U0SAM', actionId: 'baton_accept', value: r.id, channel: 'D0KIM', ts: '9.1' }),
    );
    expect(sam.status).toBe(200);
    await waitFor(async () =>
      slack
        .of('chat.postEphemeral')
        .some((c) => /cannot accept work owned by user:kim/.test(String(c.args.text))),
    );
    expect((await env.baton.snapshot(r.id)).handoff.state).toBe('handed_off');
    await interact(
      blockAction({ user: 'U0KIM', actionId: 'baton_accept', value: r.id, channel: 'D0KIM', ts: '9.1' }),
    );
    const snap = await env.baton.snapshot(r.id);
    expect(snap.handoff.state).toBe('accepted');
    expect(snap.ledger.at(-1)).toMatchObject({ owner: 'user:kim', status: 'accepted', by: 'kim' });
    const events = await env.baton.store.events(r.id);
    expect(events.find((e) => e.type === 'accepted')!.actor).toEqual({
      kind: 'user',
      id: 'kim',
      via: 'slack',
    });
    await waitFor(async () =>
      slack
        .of('chat.update')
        .some((c) => c.args.ts === '9.1' && /Accepted by kim via slack/.test(String(c.args.text))),
    );
  });

  it('suggest mode: Change owner… opens a modal whose submission approves with the corrected owner', async () => {
    await env.close();
    env = await startChannels({ slackApiUrl: slack.url }, { 'flows/suggest.yaml': SUGGEST_FLOW });
    const r = await env.baton.send('suggest', { id: 'G1' }, { kind: 'system', id: 't' });
    await waitFor(async () => (await env.baton.approvals('pending', r.id)).length === 1);
    const [approval] = await env.baton.approvals('pending', r.id);
    expect(approval!.kind).toBe('decision');
    // The router (team:sales-ops: ops, managed by sam) is asked; both are on Slack.
    await waitFor(async () => slack.of('chat.postMessage').length === 2);
    const buttons = JSON.stringify(slack.of('chat.postMessage')[0]!.args.blocks);
    expect(buttons).toContain('baton_edit');
    await interact(
      blockAction({ user: 'U0OPS', actionId: 'baton_edit', value: approval!.id, triggerId: 'trig-2' }),
    );
    await waitFor(async () => slack.of('views.open').length === 1);
    const view = slack.of('views.open')[0]!.args.view as { callback_id: string; private_metadata: string };
    expect(view.callback_id).toBe('baton_edit');
    const bad = await interact(
      viewSubmission({
        user: 'U0OPS',
        callbackId: 'baton_edit',
        metadata: view.private_metadata,
        values: { owner: 'nobody' },
      }),
    );
    expect(bad.body).toMatchObject({
      response_action: 'errors',
      errors: { owner: expect.stringMatching(/not an owner/) },
    });
    const ok = await interact(
      viewSubmission({
        user: 'U0OPS',
        callbackId: 'baton_edit',
        metadata: view.private_metadata,
        values: { owner: 'team:enterprise-sales', comment: 'big account' },
      }),
    );
    expect(ok.body).toEqual({});
    expect(await env.baton.store.approval(approval!.id)).toMatchObject({
      state: 'approved',
      decidedBy: { label: 'human', user: 'ops', via: 'slack' },
    });
    await waitFor(async () => (await env.baton.snapshot(r.id)).handoff.state === 'handed_off');
    const snap = await env.baton.snapshot(r.id);
    expect(snap.handoff.owner).toBe('team:enterprise-sales');
    const overridden = (await env.baton.store.events(r.id)).find((e) => e.type === 'overridden')!;
    expect(overridden).toMatchObject({
      actor: { id: 'ops', via: 'slack' },
      data: { owner: 'team:enterprise-sales' },
    });
  });

  it('answers the Events API url_verification challenge, signed only', async () => {
    const body = JSON.stringify({ type: 'url_verification', challenge: 'abc123', token: 'x' });
    const ok = await post('/v1/intake/slack/events', {
      ...signedRequest(body),
      headers: { ...signedRequest(body).headers, 'content-type': 'application/json' },
    });
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual({ challenge: 'abc123' });
    const unsigned = await post('/v1/intake/slack/events', {
      headers: { 'content-type': 'application/json' },
      body,
    });
    expect(unsigned.status).toBe(401);
    const bad = await post('/v1/intake/slack/interactions', signedRequest('payload=%7Bnot-json'));
    expect(bad.status).toBe(400);
  });

  it('refuses 1,000 forged, mutated, stale and replayed requests; none changes anything', async () => {
    const { handoffId, approval } = await pendingApproval(bigLead('S4'));
    const second = await pendingApproval(bigLead('S5'));
    await waitFor(async () => slack.of('chat.postMessage').length === 2);
    // One genuine click decides the first approval; everything after is an attack on both.
    const genuine = signedRequest(
      blockAction({ user: 'U0SAM', actionId: 'baton_approve', value: approval.id }),
    );
    expect((await post('/v1/intake/slack/interactions', genuine)).status).toBe(200);
    expect((await env.baton.store.approval(approval.id))!.state).toBe('approved');
    // Settled: the clicked message updated twice (at once, and by the approval_closed notice).
    // And the approved handoff has run its actions and is with its owner (no step still to come).
    await waitFor(
      async () =>
        slack.of('chat.update').length === 2 &&
        (await env.baton.store.outbox({})).every((n) => n.state === 'done') &&
        ['handed_off', 'escalated'].includes((await env.baton.store.get(handoffId))!.handoff.state),
    );
    const before = {
      calls: slack.calls.length,
      events: (await env.baton.store.events(handoffId)).length,
      events2: (await env.baton.store.events(second.handoffId)).length,
      outbox: (await env.baton.store.outbox({})).length,
    };

    const target = (i: number) =>
      blockAction({
        user: 'U0SAM',
        actionId: i % 2 ? 'baton_approve' : 'baton_reject',
        value: second.approval.id,
        triggerId: `t${i}`,
      });
    const now = Math.floor(Date.now() / 1000);
    const attacks: Array<{ kind: string; headers: Record<string, string>; body: string }> = [];
    for (let i = 0; i < 250; i++) {
      const body = target(i);
      const variants = [
        { 'x-slack-signature': `v0=${randomHex(64)}` },
        { 'x-slack-signature': signSlack('wrong-secret', now, body) },
        { 'x-slack-signature': signSlack(SIGNING_SECRET, now, body).replace(/^v0/, 'v1') },
        { 'x-slack-signature': signSlack(SIGNING_SECRET, now, body).toUpperCase() },
        { 'x-slack-signature': '' },
      ];
      attacks.push({
        kind: 'forged',
        headers: { ...signedRequest(body).headers, ...variants[i % variants.length]! },
        body,
      });
    }
    for (let i = 0; i < 250; i++) {
      const original = signedRequest(target(i));
      const body = mutate(original.body, i);
      attacks.push({
        kind: 'mutated',
        headers:
          i % 7 === 0
            ? { ...original.headers, 'x-slack-request-timestamp': String(now + 1) }
            : original.headers,
        body,
      });
    }
    for (let i = 0; i < 250; i++) {
      const skew = (301 + i * 13) * (i % 2 ? 1 : -1);
      attacks.push({ kind: 'stale', ...signedRequest(target(i), { timestamp: now + skew }) });
    }
    for (let i = 0; i < 250; i++) attacks.push({ kind: 'replayed', ...genuine });

    const results = await Promise.all(
      attacks.map(async (a) => ({ kind: a.kind, ...(await post('/v1/intake/slack/interactions', a)) })),
    );
    const accepted = results.filter((r) => r.status !== 401);
    expect(accepted.map((r) => `${r.kind} ${r.status} ${r.text}`)).toEqual([]);
    expect(results).toHaveLength(1000);
    expect(new Set(results.map((r) => r.kind))).toEqual(new Set(['forged', 'mutated', 'stale', 'replayed']));
    await new Promise((r) => setTimeout(r, 200));
    expect((await env.baton.store.approval(second.approval.id))!).toMatchObject({
      state: 'pending',
      votes: [],
    });
    expect({
      calls: slack.calls.length,
      events: (await env.baton.store.events(handoffId)).length,
      events2: (await env.baton.store.events(second.handoffId)).length,
      outbox: (await env.baton.store.outbox({})).length,
    }).toEqual(before);
  });

  it('verifies signatures in constant time over the raw bytes, within ±300 s', () => {
    const body = Buffer.from('payload=%7B%7D');
    const ts = 1_800_000_000;
    const headers = {
      'x-slack-request-timestamp': String(ts),
      'x-slack-signature': signSlack('s', ts, body),
    };
    expect(verifySlackSignature('s', headers, body, ts * 1000).ok).toBe(true);
    expect(verifySlackSignature('s', headers, body, (ts + 300) * 1000).ok).toBe(true);
    expect(verifySlackSignature('s', headers, body, (ts + 301) * 1000)).toMatchObject({ ok: false });
    expect(verifySlackSignature('s', headers, body, (ts - 301) * 1000)).toMatchObject({ ok: false });
    expect(verifySlackSignature('s', headers, Buffer.from('payload=%7B%7D '), ts * 1000)).toMatchObject({
      ok: false,
    });
    expect(verifySlackSignature('t', headers, body, ts * 1000)).toMatchObject({ ok: false });
  });
});

function randomHex(n: number): string {
  let s = '';
  while (s.length < n) s += Math.floor(Math.random() * 16).toString(16);
  return s;
}

/** Changes the signed body a little: one character, the value, the user, or a trailing byte. */
function mutate(body: string, i: number): string {
  switch (i % 4) {
    case 0: {
      const at = 10 + (i % (body.length - 20));
      const c = body[at] === 'A' ? 'B' : 'A';
      return body.slice(0, at) + c + body.slice(at + 1);
    }
    case 1:
      return body.replace('U0SAM', 'U0DANA');
    case 2:
      return body.replace('baton_reject', 'baton_approve'); // i % 4 === 2: always a reject click
    default:
      return `${body}&x=1`;
  }
}
