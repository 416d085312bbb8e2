// The sweep of docs/intake-schedules.md end to end: unassigned Zendesk tickets older than an hour
// become handoffs owned by the support lead, one per ticket, through the zendesk connector
// against the local Zendesk (every request checked by Prism against Zendesk's description). A
// second sweep finds the same tickets and starts nothing new; a ticket assigned meanwhile is no
// longer found, one that aged past the hour is.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ScheduleRunner } from '../../src/intake/schedule/runner.ts';
import { openTemp, ROOT, settleAll } from '../support/project.ts';
import { startPrism, type Prism } from '../support/prism.ts';
import { startZendeskServer, type ZendeskServer } from '../support/zendesk-server.ts';

const FLOW = readFileSync(path.join(ROOT, 'test/fixtures/schedules/forgotten-tickets.yaml'), 'utf8');
let prism: Prism;
let zd: ZendeskServer;

beforeAll(async () => {
  prism = await startPrism('zendesk-support.yaml');
  zd = await startZendeskServer(prism.url);
  zd.users.set(501, { id: 501, name: 'Carla Customer', email: 'carla@example.com', role: 'end-user' });
}, 90_000);
afterAll(async () => {
  await zd?.close();
  await prism?.close();
});

describe('the forgotten-tickets sweep', () => {
  it('is the example the documentation shows', () => {
    const doc = readFileSync(path.join(ROOT, 'docs/intake-schedules.md'), 'utf8');
    expect(doc).toContain(FLOW.split('\n').slice(3).join('\n').trim());
  });

  it('hands each unassigned ticket older than an hour to the support lead, once', async () => {
    const ago = (min: number) => new Date(Date.now() - min * 60_000).toISOString().replace(/\.\d+Z$/, 'Z');
    const ticket = (subject: string, minutes: number, assignee_id: number | null = null) =>
      zd.addTicket({
        subject,
        description: 'Hello?',
        requester_id: 501,
        created_at: ago(minutes),
        assignee_id,
      });
    const waiting = [ticket('Invoice missing', 180), ticket('Cannot log in', 75)];
    const recent = ticket('Just now', 20);
    ticket('Being handled', 300, 900);

    const env = await openTemp({
      'flows/forgotten-tickets.yaml': FLOW,
      'baton.yaml': `${readFileSync(path.join(ROOT, 'examples/baton.yaml'), 'utf8')}
outbound: { allowHosts: [127.0.0.1] }
connectors:
  zendesk: { endpointUri: ${zd.url}, username: ${zd.email}, token: ${zd.token} }
`,
    });
    try {
      const { baton } = env;
      const clock = { now: Date.parse('2026-12-07T09:05:00Z') };
      const runner = new ScheduleRunner({
        store: baton.store,
        registry: baton.registry,
        flows: baton.project.flows,
        deliver: (d) => baton.deliver(d),
        workerId: 'test',
        now: () => clock.now,
      });
      await runner.ensure();
      // */15 in Paris (UTC+1 in December): 10:15 local is 09:15 UTC.
      expect(await baton.store.intake.schedule('forgotten-tickets')).toMatchObject({
        nextAt: Date.parse('2026-12-07T09:15:00Z'),
        spec: '*/15 * * * * Europe/Paris',
      });
      clock.now = Date.parse('2026-12-07T09:15:01Z');
      await runner.runDue();
      await settleAll(baton);
      const sweep = async () =>
        (await baton.list({ flow: 'forgotten-tickets', limit: 100 })).items as Array<Record<string, any>>;
      let items = await sweep();
      expect(items).toHaveLength(2);
      for (const t of waiting) {
        const h = await baton.getByKey('forgotten-tickets', `schedule:${t.id}`);
        expect(h).toMatchObject({
          owner: 'role:support-lead',
          input: { ticket: t.id, subject: t.subject, waitingSince: t.created_at },
        });
        expect(h.state).toBe('handed_off');
      }
      expect(zd.violations).toEqual([]);

      // Fifteen minutes on: one ticket was assigned, the recent one has waited past the hour.
      zd.tickets.get(waiting[0]!.id)!.assignee_id = 900;
      zd.tickets.get(recent.id)!.created_at = ago(61);
      clock.now = Date.parse('2026-12-07T09:30:00.500Z');
      await runner.runDue();
      await settleAll(baton);
      items = await sweep();
      expect(items).toHaveLength(3);
      expect(await baton.getByKey('forgotten-tickets', `schedule:${recent.id}`)).toMatchObject({
        owner: 'role:support-lead',
      });
      const [fires] = await baton.store.intake.fires('forgotten-tickets');
      expect(fires).toMatchObject({ fired: 2 + 2, failed: 0 }); // the second sweep found two: one old, one new
      expect(zd.violations).toEqual([]);
    } finally {
      await env.close();
    }
  }, 60_000);
});
