// IMAP polling against a real Dovecot of the test's own: messages become handoffs and are marked
// processed (a keyword, or a move) only once delivered; a restart of Baton reads nothing twice;
// 4,000 messages are drained exactly once while Dovecot is killed and restarted in the middle.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ImapFlow } from 'imapflow';
import { afterEach, describe, expect, it } from 'vitest';
import { Baton } from '../../src/service/baton.ts';
import { startMailIntake } from '../../src/intake/email/start.ts';
import { EXAMPLES, tempProject } from '../support/project.ts';
import { TestDovecot, withoutMailTools } from '../support/dovecot.ts';
import { mailDeskFlow } from '../support/mail-flow.ts';
import { waitFor } from '../http/helpers.ts';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

process.env.TEST_IMAP_PASSWORD = 'imap-secret-1';

function project(d: TestDovecot, processed = '{ flag: $Baton }', maxBytes = '25MB') {
  const yaml = `${readFileSync(path.join(EXAMPLES, 'baton.yaml'), 'utf8')}
intake:
  imap:
    - name: support
      host: 127.0.0.1
      port: ${d.port}
      secure: false
      user: ${d.user}
      password: \${TEST_IMAP_PASSWORD}
      processed: ${processed}
      pollMs: 300
      maxBytes: ${maxBytes}
`;
  const p = tempProject({ 'baton.yaml': yaml, 'flows/mail-desk.yaml': mailDeskFlow({ imap: 'support' }) });
  cleanups.push(p.cleanup);
  return p;
}

async function open(dir: string) {
  const baton = await Baton.open({ dir, storage: `sqlite:${path.join(dir, 'data', 'baton.db')}` });
  const logs: string[] = [];
  const mail = await startMailIntake({
    project: baton.project,
    deliver: (d) => baton.deliver(d),
    log: (l) => logs.push(l),
    backoff: { baseMs: 50, capMs: 1000 },
  });
  const close = async () => {
    await mail.close();
    await baton.close();
  };
  cleanups.push(close);
  return { baton, mail, logs, close };
}

const count = async (baton: Baton): Promise<number> =>
  Number(
    (
      await baton.store.query<{ n: unknown }>(
        "SELECT COUNT(*) AS n FROM handoffs WHERE flow_id = 'mail-desk'",
        [],
      )
    )[0]!.n,
  );

const message = (i: number) =>
  `From: Customer ${i} <c${i}@acme.com>\r\nTo: support@example.test\r\nSubject: Question ${i}\r\nMessage-ID: <q${i}@acme.com>\r\nDate: Mon, 07 Dec 2026 10:00:00 +0000\r\n\r\nQuestion number ${i}.\r\n`;

async function imapClient(d: TestDovecot): Promise<ImapFlow> {
  const c = new ImapFlow({
    host: '127.0.0.1',
    port: d.port,
    secure: false,
    auth: { user: d.user, pass: d.password },
    logger: false,
  });
  await c.connect();
  cleanups.push(() => c.logout().catch(() => c.close()));
  return c;
}

async function unprocessed(
  d: TestDovecot,
  folder = 'INBOX',
  query: Record<string, unknown> = { unKeyword: '$Baton' },
) {
  const c = await imapClient(d);
  const lock = await c.getMailboxLock(folder);
  try {
    return (await c.search(query, { uid: true })) || [];
  } finally {
    lock.release();
    await c.logout();
  }
}

async function startDovecot(): Promise<TestDovecot> {
  const d = await TestDovecot.start();
  cleanups.push(() => d.close());
  return d;
}

describe.skipIf(withoutMailTools('dovecot'))('the IMAP poller', () => {
  it('delivers each message, flags it $Baton, and reads nothing twice across a restart of Baton', async () => {
    const d = await startDovecot();
    const p = project(d);
    d.deliver([message(1), message(2), message(3)]);
    const first = await open(p.dir);
    expect(first.mail.describe()).toBe('imap support → flows mail-desk');
    await waitFor(async () => (await count(first.baton)) === 3, 15_000);
    await waitFor(async () => (await unprocessed(d)).length === 0, 10_000);
    const h = await first.baton.getByKey('mail-desk', 'email:<q2@acme.com>');
    expect(h.input).toMatchObject({ subject: 'Question 2', sender: 'c2@acme.com', recipient: d.user });
    await first.close();

    const second = await open(p.dir);
    d.deliver([message(4)]);
    await waitFor(async () => (await count(second.baton)) === 4, 15_000);
    await waitFor(async () => (await unprocessed(d)).length === 0, 10_000);
    // The restarted poller fetched only the new message: one arrival, none seen again.
    expect(second.mail.imap[0]!.delivered).toBe(1);
    const [fires] = await second.baton.store.intake.fires('mail-desk');
    expect(fires).toMatchObject({ fired: 4, failed: 0, lastOutcome: 'created' });
  }, 60_000);

  it('moves processed messages to a folder when told to; broken and oversize ones land in the dead-letter list', async () => {
    const d = await startDovecot();
    const p = project(d, '{ move: Baton/Done }', '8KB');
    const huge = `${message(12)}${'x'.repeat(100_000)}\r\n`;
    d.deliver([message(10), 'no headers at all, just text\r\n', message(11), huge]);
    const run = await open(p.dir);
    await waitFor(async () => (await unprocessed(d, 'INBOX', { all: true })).length === 0, 15_000);
    expect(await count(run.baton)).toBe(2);
    expect(await unprocessed(d, 'Baton/Done', { all: true })).toHaveLength(4);
    const failures = await run.baton.store.intake.failures({ flow: 'mail-desk' });
    expect(failures.find((f) => f.reason === 'unparseable')).toMatchObject({
      key: expect.stringMatching(/^sha256:/),
      trigger: 'email',
    });
    const big = failures.find((f) => f.reason === 'too_large');
    expect(big).toMatchObject({ key: '<q12@acme.com>', payload: { truncated: true } });
    expect(Buffer.from(big!.payload.body, 'base64').length).toBe(64 * 1024);
    expect(big!.payload.bytes).toBeGreaterThan(100_000);
  }, 60_000);

  it('reconnects with backoff when Dovecot goes away, and carries on', async () => {
    const d = await startDovecot();
    const p = project(d);
    const run = await open(p.dir);
    d.deliver([message(20)]);
    await waitFor(async () => (await count(run.baton)) === 1, 15_000);
    await d.kill();
    await new Promise((r) => setTimeout(r, 500));
    await d.restart();
    d.deliver([message(21)]);
    await waitFor(async () => (await count(run.baton)) === 2, 20_000);
    expect(run.logs.join('\n')).toMatch(/imap support: the connection closed; connecting again in \d+ ms/);
  }, 60_000);

  it('drains a 4,000-message mailbox exactly once with Dovecot killed and restarted in the middle', async () => {
    const d = await startDovecot();
    const p = project(d);
    const N = 4000;
    d.deliver(Array.from({ length: N }, (_, i) => message(1000 + i)));
    const run = await open(p.dir);
    await waitFor(async () => (await count(run.baton)) >= 1000, 120_000);
    const atKill = await count(run.baton);
    await d.restart();
    await waitFor(async () => (await count(run.baton)) === N, 240_000);
    await waitFor(async () => (await unprocessed(d)).length === 0, 60_000);
    expect(atKill).toBeLessThan(N);
    expect(run.logs.join('\n')).toMatch(/imap support: the connection closed; connecting again/);
    const rows = await run.baton.store.query<{ k: string; n: number }>(
      "SELECT idem_key AS k, COUNT(*) AS n FROM handoffs WHERE flow_id = 'mail-desk' GROUP BY idem_key HAVING COUNT(*) > 1",
      [],
    );
    expect(rows).toEqual([]);
    expect(await count(run.baton)).toBe(N);
    expect(await run.baton.store.intake.failures({ flow: 'mail-desk' })).toEqual([]);
    console.log(
      `4,000 drained: ${atKill} handoffs when Dovecot was killed; ${run.mail.imap[0]!.delivered} marked by this poller`,
    );
  }, 400_000);
});
