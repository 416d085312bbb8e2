// The Jira connector through jira.js: against Prism serving Atlassian's descriptions (each call
// must be one the API accepts) and against a stateful server (test/support/jira-server.ts) that
// checks each request with Prism too, for the lookups, retries and rollbacks.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { isBatonError } from '../../core/errors.ts';
import { connectorContract } from '../../../test/support/connector-contract.ts';
import { fetchSource, openConnector, rollback, runAction } from '../../../test/support/connector-steps.ts';
import { startJiraServer, type JiraServer } from '../../../test/support/jira-server.ts';
import { startPrism, type Prism } from '../../../test/support/prism.ts';
import type { ConnectorDefinition, ConnectorInstance } from '../define.ts';
import { adfText, toAdf } from './adf.ts';
import { jira } from './connector.ts';
import { markerJql, markerLabel } from './keys.ts';

const definition = jira as ConnectorDefinition<never>;
const EMAIL = 'bot@example.com';
const API_TOKEN = 'jira-secret-token-8f2c91';
const BEARER = 'jira-bearer-token-77d1e0';

let platform: Prism;
let serviceDesk: Prism;
let server: JiraServer;
let conn: ConnectorInstance;

beforeAll(async () => {
  [platform, serviceDesk] = await Promise.all([
    startPrism('jira-cloud-platform-v3.json', { dynamic: true }),
    startPrism('jira-service-management.json', { dynamic: true }),
  ]);
  server = await startJiraServer({
    email: EMAIL,
    apiToken: API_TOKEN,
    bearer: BEARER,
    platformPrism: platform.url,
    serviceDeskPrism: serviceDesk.url,
  });
  conn = await openConnector('jira', definition, { host: server.url, email: EMAIL, apiToken: API_TOKEN });
}, 120_000);
afterAll(async () => {
  await server?.close();
  await Promise.all([platform?.close(), serviceDesk?.close()]);
});
afterEach(() => {
  // Every request the connector made must be one Atlassian's description accepts.
  const refused = server?.spec.violations.splice(0) ?? [];
  if (refused.length) throw new Error(`requests the API description refuses:\n${refused.join('\n')}`);
});

describe('jira against Prism (Atlassian descriptions, --errors -d)', () => {
  const onPrism = (host: string) =>
    openConnector('jira', definition, { host, email: EMAIL, apiToken: API_TOKEN });
  // The Service Management description lists OAuth 2.0 only (the API takes basic auth too).
  const bearerOn = (host: string) => openConnector('jira', definition, { host, token: BEARER });

  it('each platform call is accepted as sent', async () => {
    const p = await onPrism(platform.url);
    await expect(p.check(AbortSignal.timeout(10_000))).resolves.toMatch(/^authenticated as /);
    await fetchSource(p, 'jira.get_issue', { key: 'PROJ-1' });
    await runAction(p, 'jira.comment', { issue: 'PROJ-1', body: 'Hello\n\nworld' }, 'k-prism-1');
    await runAction(
      p,
      'jira.link',
      { issue: 'PROJ-1', url: 'https://acme.zendesk.com/tickets/9', title: 'Ticket 9' },
      'k-prism-2',
    );
    // Prism invents the search answer (-d), so this may find an "existing" issue and stop after
    // the lookup; the create request itself is checked by the stateful server's forwarding.
    await runAction(
      p,
      'jira.create_issue',
      { project: 'PROJ', issueType: 'Task', summary: 'x', description: 'd' },
      'k-prism-3',
    );
    expect(platform.log()).not.toMatch(/Request violations|violation/i);
  });

  it('the service desk calls are accepted as sent', async () => {
    const p = await bearerOn(serviceDesk.url);
    const r = (await fetchSource(p, 'jira.get_request', { request: 'SD-1' })) as Record<string, unknown>;
    expect(Object.keys(r)).toEqual([
      'key',
      'status',
      'requestType',
      'reporter',
      'created',
      'summary',
      'description',
    ]);
    await runAction(p, 'jira.jsm_comment', { request: 'SD-1', body: 'We are on it', public: true }, 'k-jsm');
  });

  it('a request the description forbids is refused (the check can fail)', async () => {
    const res = await fetch(`${platform.url}/rest/api/3/issue/PROJ-1/transitions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Basic eDp5' },
      body: JSON.stringify({ transition: '31' }),
    });
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.headers.get('sl-violations')).toBeTruthy();
  });
});

describe('jira against a stateful server', () => {
  it('get_issue reads summary, status, assignee, labels, and text as plain text', async () => {
    server.addIssue({
      key: 'OPS-1',
      summary: 'Printer on fire',
      labels: ['hardware'],
      description: toAdf('First line\nsecond line\n\nNew paragraph'),
      statusId: '3',
    });
    const got = await fetchSource(conn, 'jira.get_issue', { key: 'OPS-1' });
    expect(got).toEqual({
      key: 'OPS-1',
      summary: 'Printer on fire',
      status: 'In Progress',
      assignee: 'Ada Agent',
      labels: ['hardware'],
      description: 'First line\nsecond line\n\nNew paragraph',
      comments: [],
    });
    const src = conn.sources.find((s) => s.id === 'jira.get_issue')!;
    expect(src.untrustedFields).toEqual(['summary', 'description', 'comments']);
  });

  it('create_issue sends ADF and a marker label; a retry after a lost answer makes one issue; rollback deletes it, twice harmlessly', async () => {
    const params = {
      project: 'NEW',
      issueType: 'Bug',
      summary: 'From Baton',
      description: 'Details\nhere',
      labels: ['triage'],
    };
    server.dropNextWriteAnswer = true;
    await expect(runAction(conn, 'jira.create_issue', params, 'key-create-1')).rejects.toThrow(
      /fetch failed/,
    );
    expect([...server.issues.keys()].filter((k) => k.startsWith('NEW-'))).toEqual(['NEW-1']);
    const step = await runAction(conn, 'jira.create_issue', params, 'key-create-1');
    expect(step.result).toEqual({ id: server.issues.get('NEW-1')!.id, key: 'NEW-1', created: false });
    const issue = server.issues.get('NEW-1')!;
    expect(issue.labels).toEqual(['triage', markerLabel('key-create-1')]);
    expect(adfText(issue.description)).toBe('Details\nhere');
    expect([...server.issues.keys()].filter((k) => k.startsWith('NEW-'))).toHaveLength(1);

    const other = await runAction(conn, 'jira.create_issue', params, 'key-create-2');
    expect(other.result).toMatchObject({ key: 'NEW-2', created: true });

    await expect(rollback(conn, 'jira.create_issue', step)).resolves.toEqual({ deleted: true });
    expect(server.issues.has('NEW-1')).toBe(false);
    await expect(rollback(conn, 'jira.create_issue', step)).resolves.toEqual({ deleted: false });
    expect(server.issues.has('NEW-2')).toBe(true);
  });

  it('create_issue rollback without the delete permission says so and is not retried', async () => {
    const step = await runAction(
      conn,
      'jira.create_issue',
      { project: 'DEL', issueType: 'Task', summary: 's' },
      'key-del',
    );
    server.forbidDelete = true;
    try {
      const e: unknown = await rollback(conn, 'jira.create_issue', step).catch((x: unknown) => x);
      expect(isBatonError(e) && !e.retryable).toBe(true);
      expect((e as Error).message).toMatch(/403.*permission/);
      expect(server.issues.has('DEL-1')).toBe(true);
    } finally {
      server.forbidDelete = false;
    }
  });

  it('comment adds an ADF comment once per key; rollback deletes exactly it', async () => {
    const issue = server.addIssue({ key: 'OPS-2' });
    server.dropNextWriteAnswer = true;
    await expect(
      runAction(conn, 'jira.comment', { issue: 'OPS-2', body: 'Looking into it' }, 'key-c1'),
    ).rejects.toThrow(/fetch failed/);
    const step = await runAction(conn, 'jira.comment', { issue: 'OPS-2', body: 'Looking into it' }, 'key-c1');
    const current = server.issues.get('OPS-2')!;
    expect(current.comments).toHaveLength(1);
    expect(step.result).toEqual({ issue: 'OPS-2', commentId: current.comments[0]!.id, created: false });
    const second = await runAction(conn, 'jira.comment', { issue: 'OPS-2', body: 'Another' }, 'key-c2');
    expect(current.comments.map((c) => adfText(c.body))).toEqual(['Looking into it', 'Another']);
    await rollback(conn, 'jira.comment', step);
    expect(current.comments.map((c) => adfText(c.body))).toEqual(['Another']);
    await expect(rollback(conn, 'jira.comment', step)).resolves.toEqual({ deleted: false });
    expect(second.result).toMatchObject({ created: true });
    expect(issue.key).toBe('OPS-2');
  });

  it('transition by name; rollback goes back to the captured status, and again changes nothing', async () => {
    const issue = server.addIssue({ key: 'OPS-3', statusId: '1' });
    const step = await runAction(conn, 'jira.transition', { issue: 'OPS-3', transition: 'done' }, 'key-t1');
    expect(step.undo).toEqual({ status: { id: '1', name: 'To Do' } });
    expect(step.result).toEqual({ issue: 'OPS-3', transitionId: '31', to: { id: '5', name: 'Done' } });
    expect(issue.statusId).toBe('5');
    await expect(rollback(conn, 'jira.transition', step)).resolves.toMatchObject({ moved: true });
    expect(issue.statusId).toBe('1');
    await expect(rollback(conn, 'jira.transition', step)).resolves.toMatchObject({ moved: false });
    expect(issue.statusId).toBe('1');
  });

  it('transition: an unknown transition is a clear non-retryable error; no way back is reported at rollback', async () => {
    const issue = server.addIssue({ key: 'OPS-4', statusId: '3' });
    const bad: unknown = await runAction(
      conn,
      'jira.transition',
      { issue: 'OPS-4', transition: 'Teleport' },
      'k',
    ).catch((e: unknown) => e);
    expect(isBatonError(bad) && !bad.retryable).toBe(true);
    expect((bad as Error).message).toMatch(/no transition "Teleport".*Stop, Done/);
    const step = await runAction(conn, 'jira.transition', { issue: 'OPS-4', transition: '31' }, 'key-t2');
    expect(issue.statusId).toBe('5');
    const e: unknown = await rollback(conn, 'jira.transition', step).catch((x: unknown) => x);
    expect(isBatonError(e) && !e.retryable).toBe(true);
    expect((e as Error).message).toMatch(/not reversible now.*"Done".*"In Progress"/);
    expect(issue.statusId).toBe('5');
  });

  it('link posts one remote link per key (posting again updates it); rollback deletes it', async () => {
    const issue = server.addIssue({ key: 'OPS-5' });
    const p = { issue: 'OPS-5', url: 'https://acme.zendesk.com/agent/tickets/42', title: 'Zendesk #42' };
    const step = await runAction(conn, 'jira.link', p, 'key-l1');
    await runAction(conn, 'jira.link', { ...p, title: 'Zendesk #42 (again)' }, 'key-l1');
    expect([...issue.remoteLinks.values()].map((l) => l.object)).toEqual([
      { url: p.url, title: 'Zendesk #42 (again)' },
    ]);
    await rollback(conn, 'jira.link', step);
    expect(issue.remoteLinks.size).toBe(0);
    await expect(rollback(conn, 'jira.link', step)).resolves.toEqual({ deleted: false });
  });

  it('jsm_comment posts a public reply on a request (bearer auth); rollback deletes it', async () => {
    const bearerConn = await openConnector('jira', definition, { host: server.url, token: BEARER });
    const issue = server.addIssue({ key: 'SD-7', summary: 'My laptop', description: 'It will not boot' });
    const got = await fetchSource(bearerConn, 'jira.get_request', { request: 'SD-7' });
    expect(got).toMatchObject({
      key: 'SD-7',
      status: 'To Do',
      reporter: 'Casey Customer',
      summary: 'My laptop',
      description: 'It will not boot',
    });
    const step = await runAction(
      bearerConn,
      'jira.jsm_comment',
      { request: 'SD-7', body: 'Try holding power', public: true },
      'k-j1',
    );
    expect(issue.comments).toMatchObject([{ body: 'Try holding power', jsdPublic: true }]);
    await rollback(bearerConn, 'jira.jsm_comment', step);
    expect(issue.comments).toEqual([]);
    await expect(rollback(bearerConn, 'jira.jsm_comment', step)).resolves.toEqual({ deleted: false });
  });

  it('refuses issue keys that would change the path, and JQL from anything but its own marker', () => {
    const a = conn.actions.find((x) => x.id === 'jira.comment')!;
    expect(a.params.safeParse({ issue: 'OPS-1/../../myself', body: 'x' }).success).toBe(false);
    expect(a.params.safeParse({ issue: 'OPS-1?x=1', body: 'x' }).success).toBe(false);
    expect(() => markerJql('baton-x" OR project = SECRET')).toThrow(/unexpected value/);
    expect(markerJql(markerLabel('k'))).toMatch(/^labels = "baton-[0-9a-f]{32}" ORDER BY created ASC$/);
  });

  it('settings take basic or bearer auth, never both', async () => {
    expect(definition.settings.safeParse({ host: 'https://a.atlassian.net', token: 't' }).success).toBe(true);
    expect(
      definition.settings.safeParse({ host: 'https://a.atlassian.net', email: 'e', apiToken: 't' }).success,
    ).toBe(true);
    expect(
      definition.settings.safeParse({
        host: 'https://a.atlassian.net',
        email: 'e',
        apiToken: 't',
        token: 't',
      }).success,
    ).toBe(false);
    expect(definition.settings.safeParse({ host: 'https://a.atlassian.net', email: 'e' }).success).toBe(
      false,
    );
  });
});

const settings = { host: 'http://127.0.0.1:9', email: EMAIL, apiToken: API_TOKEN };
connectorContract({
  definition,
  settings,
  hostile: (url) => ({ ...settings, host: url }),
  read: (inst, signal) =>
    inst.sources
      .find((s) => s.id === 'subject.get_issue')!
      .fetch({ key: 'PROJ-1' }, { handoffId: 'h', flow: 'f', signal }) as Promise<unknown>,
});
