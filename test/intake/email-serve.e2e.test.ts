// `baton serve` runs mail intake: the SMTP listener and the IMAP poller start after the HTTP
// server, are named in the banner, deliver through the engine thread, and stop on SIGTERM.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXAMPLES, tempProject } from '../support/project.ts';
import { freePort, kill, startServe, type ServerProcess } from '../support/server.ts';
import { TestDovecot, withoutMailTools } from '../support/dovecot.ts';
import { mailDeskFlow } from '../support/mail-flow.ts';
import { waitFor } from '../http/helpers.ts';

const run = promisify(execFile);
let dovecot: TestDovecot;
let serve: ServerProcess;
let project: ReturnType<typeof tempProject>;

const skipped = withoutMailTools('dovecot', 'swaks');

beforeAll(async () => {
  if (skipped) return;
  dovecot = await TestDovecot.start();
  const yaml = `${readFileSync(path.join(EXAMPLES, 'baton.yaml'), 'utf8')}
intake:
  smtp: { port: 0, maxBytes: 1MB }
  imap:
    - { name: support, host: 127.0.0.1, port: ${dovecot.port}, secure: false, user: ${dovecot.user}, password: "\${TEST_IMAP_PASSWORD}", pollMs: 200 }
`;
  project = tempProject({
    'baton.yaml': yaml,
    'flows/mail-desk.yaml': mailDeskFlow({ to: ['help@desk.test'] }),
    'flows/mail-inbox.yaml': mailDeskFlow({ id: 'mail-inbox', imap: 'support' }),
  });
  serve = await startServe(project.dir, await freePort(), { TEST_IMAP_PASSWORD: dovecot.password });
}, 60_000);

afterAll(async () => {
  if (serve) await kill(serve);
  if (dovecot) await dovecot.close();
  project?.cleanup();
});

const smtpPort = (): number => {
  const m = /intake {3}smtp 127\.0\.0\.1:(\d+) → flows mail-desk; imap support → flows mail-inbox\n/.exec(
    serve.output(),
  );
  if (!m) throw new Error(`no intake line in the banner:\n${serve.output()}`);
  return Number(m[1]);
};

async function byKey(flow: string, key: string) {
  const r = await fetch(`${serve.url}/v1/flows/${flow}/handoffs/${encodeURIComponent(key)}`);
  return r.status === 200 ? ((await r.json()) as { id: string; input: Record<string, unknown> }) : undefined;
}

describe.skipIf(skipped)('baton serve with mail intake', () => {
  it('names the listener and the mailbox in the banner and delivers from both', async () => {
    const port = smtpPort();
    await run('swaks', [
      '--server',
      `127.0.0.1:${port}`,
      '--from',
      'jo@acme.com',
      '--to',
      'help@desk.test',
      '--header',
      'Subject: Served mail',
      '--header',
      'Message-Id: <serve1@acme.com>',
      '--body',
      'via the listener',
      '--no-tls',
    ]);
    const h = await byKey('mail-desk', 'email:<serve1@acme.com>');
    expect(h?.input).toMatchObject({ subject: 'Served mail', sender: 'jo@acme.com' });

    dovecot.deliver([
      'From: pat@globex.com\r\nTo: support@example.test\r\nSubject: Polled mail\r\nMessage-ID: <serve2@globex.com>\r\n\r\nvia IMAP\r\n',
    ]);
    let polled: Awaited<ReturnType<typeof byKey>>;
    await waitFor(async () => !!(polled = await byKey('mail-inbox', 'email:<serve2@globex.com>')), 15_000);
    expect(polled?.input).toMatchObject({ subject: 'Polled mail', recipient: dovecot.user });
  }, 30_000);

  it('stops the listener on SIGTERM', async () => {
    const port = smtpPort();
    await kill(serve, 'SIGTERM');
    expect(serve.child.exitCode).toBe(0);
    const refused = await new Promise<boolean>((done) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        done(false);
      });
      s.once('error', () => done(true));
    });
    expect(refused).toBe(true);
  }, 30_000);
});
