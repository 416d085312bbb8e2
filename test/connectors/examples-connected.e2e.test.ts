// The example project with its connectors configured: lead-to-owner reads the company and its
// owner from HubSpot (a local server written from HubSpot's API reference) and tells the owner
// in Slack; without them it runs on the built-ins (test/examples.e2e.test.ts), and `baton
// connectors` / serve's banner say which steps fall back.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXAMPLES, ROOT, openTemp, intakeActor, asUser } from '../support/project.ts';
import { startHubSpotServer, type HubSpotServer } from '../support/hubspot-server.ts';
import { startFakeSlack, type FakeSlack } from '../support/slack-api.ts';

let hubspot: HubSpotServer;
let slack: FakeSlack;
let env: Awaited<ReturnType<typeof openTemp>> | undefined;

/** baton.yaml of the examples with HubSpot and Slack, kim being HubSpot owner 101 (by email). */
const connected = () =>
  readFileSync(path.join(EXAMPLES, 'baton.yaml'), 'utf8').replace(
    '{ id: kim, name: Kim Park, email: kim@example.com, roles: [] }',
    '{ id: kim, name: Kim Park, email: ana@example.com, slack: U0KIM, roles: [] }',
  ) +
  `
outbound: { allowHosts: [127.0.0.1] }
connectors:
  hubspot: { token: "\${HUBSPOT_TOKEN}", basePath: "${hubspot.url}" }
  slack: { token: "\${SLACK_BOT_TOKEN}", signingSecret: "\${SLACK_SIGNING_SECRET}", apiUrl: "${slack.url}" }
`;

beforeAll(async () => {
  hubspot = await startHubSpotServer();
  slack = await startFakeSlack();
  hubspot.add('companies', { name: 'Initech', domain: 'initech.com', hubspot_owner_id: '101' });
  process.env.HUBSPOT_TOKEN = hubspot.token;
  process.env.SLACK_BOT_TOKEN = 'xoxb-test-token';
  process.env.SLACK_SIGNING_SECRET = 'test-signing-secret-0123456789abcdef';
});
afterAll(async () => {
  await env?.close();
  await hubspot?.close();
  await slack?.close();
  delete process.env.HUBSPOT_TOKEN;
});

async function settle(baton: Awaited<ReturnType<typeof openTemp>>['baton'], id: string) {
  for (let i = 0; i < 200; i++) {
    await baton.engine.drain();
    const h = await baton.get(id);
    if (!['received', 'building_context', 'deciding', 'acting'].includes(h.state)) return h;
    await new Promise((r) => setTimeout(r, 20));
  }
  return baton.get(id);
}

describe('lead-to-owner with HubSpot and Slack configured', () => {
  it('routes a lead to the HubSpot owner (a person by email), tells them in Slack, and undoes it', async () => {
    env = await openTemp({ 'baton.yaml': connected() }, { worker: false });
    const { baton } = env;
    const { id } = await baton.send(
      'lead-to-owner',
      { id: 'L-77', company: 'Initech', email: 'pat@initech.com' },
      intakeActor,
    );
    const h = await settle(baton, id);
    expect(h.state).toBe('handed_off');
    expect(h.provenance?.[0]).toMatchObject({ name: 'account', use: 'hubspot.find_company', found: true });
    expect(h.context).toMatchObject({ account: { name: 'Initech', ownerId: '101', user: 'kim' } });
    expect(h.owner).toBe('user:kim');
    const tell = h.actions.find((a) => a.id === 'tell')!;
    expect(tell).toMatchObject({ use: 'slack.notify_owner', state: 'succeeded' });
    expect(slack.of('chat.postMessage').map((c) => [c.args.channel, c.args.text])).toEqual([
      ['U0KIM', 'New lead: Initech (pat@initech.com)'],
    ]);
    // A lead from a domain HubSpot does not know still goes by size, nothing from the CSV.
    const other = await baton.send(
      'lead-to-owner',
      { id: 'L-78', company: 'Acme', email: 'x@acme.com', amount: 9000 },
      intakeActor,
    );
    expect((await settle(baton, other.id)).owner).toBe('team:enterprise-sales');

    const back = await baton.rollback(id, asUser('sam', 'operator'));
    expect(back.actions.find((a) => a.id === 'tell')!.state).toBe('rolled_back');
    expect(slack.of('chat.delete')).toHaveLength(1);
    expect((await baton.connectors()).fallbacks).toEqual([
      {
        flow: 'invoice-approval',
        entry: 'context.vendor',
        use: 'sheets.find_row',
        fallback: 'builtin.lookup',
      },
      { flow: 'invoice-approval', entry: 'context.po', use: 'erp.find_po', fallback: 'builtin.value' },
      {
        flow: 'invoice-approval',
        entry: 'actions.tell',
        use: 'email.notify_owner',
        fallback: 'builtin.notify_owner',
      },
      {
        flow: 'support-escalation',
        entry: 'context.zendesk',
        use: 'zendesk.get_ticket',
        fallback: 'builtin.value',
      },
      {
        flow: 'support-escalation',
        entry: 'actions.ticket',
        use: 'jira.create_issue',
        fallback: 'builtin.route_ticket',
      },
      {
        flow: 'support-escalation',
        entry: 'actions.note',
        use: 'zendesk.comment',
        fallback: 'builtin.notify_owner',
      },
    ]);
  });

  it('baton connectors check reaches both systems', async () => {
    const r = await new Promise<{ code: number; out: string }>((resolve) =>
      execFile(
        process.execPath,
        [path.join(ROOT, 'bin/baton.js'), 'connectors', 'check', '--project', env!.dir],
        { env: process.env },
        (e, stdout, stderr) => resolve({ code: e ? Number(e.code) : 0, out: stdout + stderr }),
      ),
    );
    expect(r.out).toMatch(/ok {3}hubspot \(hubspot\)/);
    expect(r.out).toMatch(/ok {3}slack \(slack\): authenticated as baton/);
    expect(r.code).toBe(0);
  });
});
