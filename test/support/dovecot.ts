// A Dovecot IMAP server of the test's own: a generated config in a temporary folder, a free
// loopback port, one passwd-file user, its maildir in the same folder. Run in the foreground
// (`dovecot -F -c CONF`) and killed after; `restart()` kills it hard and starts it again on the
// same port with the same mail. Needs Debian's dovecot-imapd (.ci/run installs it). As root the
// mail belongs to the `dovecot` user (Dovecot refuses mail access as uid 0).
import { spawn, type ChildProcess } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { connect } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import path from 'node:path';
import { freePort } from './server.ts';

export const dovecotUnavailable = (): string | undefined =>
  existsSync('/usr/sbin/dovecot') ? undefined : 'dovecot is not installed (apt-get install dovecot-imapd)';

/**
 * Tests that need Debian's dovecot-imapd or swaks: skipped where they are missing, except in CI
 * (.ci/run installs both and sets CI), where a missing one fails the test instead.
 */
export const withoutMailTools = (...tools: Array<'dovecot' | 'swaks'>): boolean =>
  !process.env.CI && tools.some((t) => !existsSync(t === 'dovecot' ? '/usr/sbin/dovecot' : '/usr/bin/swaks'));

function mailOwner(): { uid: number; gid: number; user: string } {
  const me = userInfo();
  if (me.uid !== 0) return { uid: me.uid, gid: me.gid, user: me.username };
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('dovecot:'));
  if (!line) throw new Error('running as root, but there is no dovecot user to own the mail');
  const [, , uid, gid] = line.split(':');
  return { uid: Number(uid), gid: Number(gid), user: 'dovecot' };
}

export class TestDovecot {
  readonly dir: string;
  readonly port: number;
  readonly user = 'support@example.test';
  readonly password = 'imap-secret-1';
  #proc: ChildProcess | undefined;
  #owner = mailOwner();
  #serial = 0;

  private constructor(dir: string, port: number) {
    this.dir = dir;
    this.port = port;
  }

  static async start(): Promise<TestDovecot> {
    const dir = mkdtempSync(path.join(tmpdir(), 'baton-dovecot-'));
    // Dovecot's own processes (not root) read the passwd file and reach the mail through it.
    chmodSync(dir, 0o755);
    const d = new TestDovecot(dir, await freePort());
    d.#configure();
    await d.#run();
    return d;
  }

  get maildir(): string {
    return path.join(this.dir, 'mail', this.user);
  }

  #configure(): void {
    const o = this.#owner;
    const me = userInfo();
    const own = (p: string): void => {
      if (me.uid === 0) chownSync(p, o.uid, o.gid);
    };
    for (const sub of ['run', 'state', 'mail', path.join('mail', this.user)]) {
      mkdirSync(path.join(this.dir, sub), { recursive: true });
    }
    own(path.join(this.dir, 'mail'));
    own(this.maildir);
    own(path.join(this.dir, 'state'));
    for (const sub of ['cur', 'new', 'tmp']) {
      mkdirSync(path.join(this.maildir, sub), { recursive: true });
      own(path.join(this.maildir, sub));
    }
    writeFileSync(
      path.join(this.dir, 'passwd'),
      `${this.user}:{PLAIN}${this.password}:${o.uid}:${o.gid}::${this.maildir}\n`,
    );
    const internal = me.uid === 0 ? 'dovecot' : me.username;
    const login = me.uid === 0 ? 'dovenull' : me.username;
    writeFileSync(
      path.join(this.dir, 'dovecot.conf'),
      `protocols = imap
listen = 127.0.0.1
base_dir = ${this.dir}/run
state_dir = ${this.dir}/state
log_path = ${this.dir}/dovecot.log
info_log_path = ${this.dir}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = ${internal}
default_internal_group = ${internal}
default_login_user = ${login}
first_valid_uid = ${Math.min(o.uid, 1)}
mail_location = maildir:~
mail_uid = ${o.uid}
mail_gid = ${o.gid}
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u ${this.dir}/passwd
}
userdb {
  driver = passwd-file
  args = username_format=%u ${this.dir}/passwd
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = ${this.port}
  }
  inet_listener imaps {
    port = 0
  }
  chroot =
}
service anvil {
  chroot =
}
service stats {
  unix_listener stats-writer {
    mode = 0666
  }
}
namespace inbox {
  inbox = yes
  separator = /
}
`,
    );
  }

  async #run(): Promise<void> {
    const proc = spawn('/usr/sbin/dovecot', ['-F', '-c', path.join(this.dir, 'dovecot.conf')], {
      stdio: ['ignore', 'ignore', 'pipe'],
      // Its own process group, so a kill takes its imap and auth processes (and their
      // connections) with it, as a crash of the machine's Dovecot would.
      detached: true,
    });
    let err = '';
    proc.stderr?.on('data', (c: Buffer) => (err += c.toString()));
    this.#proc = proc;
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline) {
      if (proc.exitCode !== null) throw new Error(`dovecot exited (${proc.exitCode}): ${err}${this.log()}`);
      if (await this.#answers()) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`dovecot did not answer on ${this.port}: ${err}${this.log()}`);
  }

  #answers(): Promise<boolean> {
    return new Promise((done) => {
      const s = connect(this.port, '127.0.0.1');
      s.once('data', (b) => {
        s.destroy();
        done(b.toString().startsWith('* OK'));
      });
      s.once('error', () => done(false));
    });
  }

  log(): string {
    try {
      return readFileSync(path.join(this.dir, 'dovecot.log'), 'utf8').slice(-4000);
    } catch {
      return '';
    }
  }

  /** Puts messages straight into the maildir (as a delivery agent would). */
  deliver(messages: Array<string | Buffer>): void {
    const host = 'test';
    for (const m of messages) {
      const name = `${Math.floor(Date.now() / 1000)}.P${process.pid}Q${++this.#serial}.${host}`;
      const tmp = path.join(this.maildir, 'tmp', name);
      writeFileSync(tmp, m);
      const dest = path.join(this.maildir, 'new', name);
      writeFileSync(dest, m);
      rmSync(tmp);
      if (userInfo().uid === 0) chownSync(dest, this.#owner.uid, this.#owner.gid);
    }
  }

  /** Kills the server at once (SIGKILL): connections drop mid-command. */
  async kill(): Promise<void> {
    const p = this.#proc;
    this.#proc = undefined;
    if (!p || p.exitCode !== null) return;
    const exited = new Promise((r) => p.once('exit', r));
    process.kill(-p.pid!, 'SIGKILL');
    await exited;
    await new Promise((r) => setTimeout(r, 100));
  }

  async restart(): Promise<void> {
    await this.kill();
    rmSync(path.join(this.dir, 'run'), { recursive: true, force: true });
    mkdirSync(path.join(this.dir, 'run'));
    await this.#run();
  }

  async close(): Promise<void> {
    const p = this.#proc;
    this.#proc = undefined;
    if (p && p.exitCode === null) {
      const exited = new Promise((r) => p.once('exit', r));
      p.kill('SIGTERM');
      await exited;
      try {
        process.kill(-p.pid!, 'SIGKILL');
      } catch {
        // The group is gone already.
      }
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
