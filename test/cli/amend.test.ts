// `baton amend`: in direct mode and over HTTP, the sender fills in what an escalated handoff lacked.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { fresh } from './run.ts';
import { startTemp, type TempServer } from '../http/helpers.ts';
import { TICKET_FLOW } from '../support/ticket-flow.ts';
import type { HandoffView } from '../../src/service/views.ts';

let s: TempServer | undefined;
afterEach(async () => {
  await s?.close();
  s = undefined;
});

describe('baton amend', () => {
  it('direct mode: a patch from a file resumes the flow; a resend with other data says so', async ({
    onTestFinished,
  }) => {
    const p = fresh(onTestFinished, { 'flows/ticket.yaml': TICKET_FLOW });
    const sent = await p.json<{ id: string; state: string }>([
      'send',
      'ticket',
      '{"id":"T1"}',
      '--as',
      'priya',
    ]);
    expect(sent.state).toBe('escalated');

    const resend = await p.run(['send', 'ticket', '{"id":"T1","customer":"Acme"}', '--as', 'priya']);
    expect(resend.code).toBe(1);
    expect(resend.stderr).toContain(`handoff ${sent.id} already has idempotency key "T1"`);
    expect(resend.stderr).toContain(`baton amend ${sent.id}`);

    const notObject = await p.run(['amend', sent.id, '[1]', '--as', 'priya']);
    expect(notObject.code).toBe(2);
    expect(notObject.stderr).toContain('must be a JSON object');
    const invalid = await p.run(['amend', sent.id, '{"severity":"high"}', '--as', 'priya']);
    expect(invalid.code).toBe(2);
    expect(invalid.stderr).toContain('input.severity');

    const file = path.join(p.dir, 'patch.json');
    writeFileSync(file, JSON.stringify({ customer: 'Acme' }));
    const done = await p.run(['amend', sent.id, `@${file}`, '--as', 'priya', '--comment', 'the customer']);
    expect(done.stderr).toBe('');
    expect(done.stdout.trim()).toBe(`${sent.id} amended: now handed_off, owner team:eng-tier2`);
    const h = await p.json<HandoffView>(['show', sent.id]);
    expect(h.input).toEqual({ id: 'T1', customer: 'Acme' });
    expect(h.events.find((e) => e.type === 'amended')).toMatchObject({
      actor: { kind: 'user', id: 'priya', via: 'cli' },
      data: { changed: ['customer'], comment: 'the customer' },
    });
  });

  it('over HTTP with an intake token: the sender may amend, others may not', async ({ onTestFinished }) => {
    s = await startTemp({}, { 'flows/ticket.yaml': TICKET_FLOW });
    const p = fresh(onTestFinished);
    const priya = await s.token('priya', 'intake');
    const over = (token: string) => ({ env: { BATON_URL: s!.url, BATON_TOKEN: token } });
    const sent = await p.json<{ id: string }>(['send', 'ticket', '{"id":"T9"}'], over(priya));
    const id = sent.id;
    for (let i = 0; i < 200 && (await s.call('GET', `/v1/handoffs/${id}`)).body.state !== 'escalated'; i++)
      await new Promise((r) => setTimeout(r, 20));

    const stranger = await p.run(['amend', id, '{"customer":"Acme"}'], over(await s.token('tom', 'intake')));
    expect(stranger.code).toBe(1);
    expect(stranger.stderr).toContain('only its sender');

    const ok = await p.json<HandoffView>(['amend', id, '{"customer":"Acme","severity":5}'], over(priya));
    expect(ok.input).toEqual({ id: 'T9', customer: 'Acme', severity: 5 });
    for (let i = 0; i < 200 && (await s.call('GET', `/v1/handoffs/${id}`)).body.state !== 'handed_off'; i++)
      await new Promise((r) => setTimeout(r, 20));
    expect((await s.call('GET', `/v1/handoffs/${id}`)).body).toMatchObject({
      state: 'handed_off',
      owner: 'team:eng-oncall',
    });
  });
});
