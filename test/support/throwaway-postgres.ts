// A PostgreSQL cluster of the test's own (initdb on a free port, in a temporary folder, run as
// the `postgres` user), so a test may crash and restart the database without touching the
// machine's shared server. Needs PostgreSQL's server binaries and root (or the postgres user).
import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import path from 'node:path';
import { freePort } from './server.ts';

/** The newest installed server's bin folder (`BATON_TEST_PG_BIN` overrides it). */
export function postgresBinDir(): string | undefined {
  const own = process.env.BATON_TEST_PG_BIN;
  if (own) return existsSync(path.join(own, 'initdb')) ? own : undefined;
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root)
    .filter((v) => existsSync(path.join(root, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] ? path.join(root, versions[0], 'bin') : undefined;
}

/** Why a throwaway cluster cannot be made here, or undefined when it can. */
export function throwawayUnavailable(): string | undefined {
  if (!postgresBinDir()) return 'no PostgreSQL server binaries (initdb) found';
  const me = userInfo();
  if (me.uid !== 0 && me.username !== 'postgres') return 'needs root or the postgres user to run initdb';
  return undefined;
}

export class ThrowawayPostgres {
  readonly dir: string;
  readonly port: number;
  private readonly bin: string;

  private constructor(dir: string, port: number, bin: string) {
    this.dir = dir;
    this.port = port;
    this.bin = bin;
  }

  /** Creates and starts a fresh cluster (fsync on: the test is about durability). */
  static async create(): Promise<ThrowawayPostgres> {
    const bin = postgresBinDir();
    if (!bin) throw new Error('no PostgreSQL server binaries (initdb) found');
    const dir = mkdtempSync(path.join(tmpdir(), 'baton-pg-'));
    const pg = new ThrowawayPostgres(dir, await freePort(), bin);
    if (userInfo().uid === 0) chownSync(dir, pg.uid('postgres'), pg.gid('postgres'));
    pg.run('initdb', ['-D', pg.data, '-A', 'trust', '-U', 'postgres', '--no-sync']);
    pg.start();
    return pg;
  }

  get data(): string {
    return path.join(this.dir, 'data');
  }

  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  start(): void {
    const opts = `-p ${this.port} -k ${this.dir} -c listen_addresses=127.0.0.1 -c fsync=on`;
    this.run('pg_ctl', ['-D', this.data, '-l', path.join(this.dir, 'log'), '-o', opts, '-w', 'start']);
  }

  /** `immediate` is a crash: no checkpoint, recovery from the WAL at the next start. */
  stop(mode: 'fast' | 'immediate' = 'fast'): void {
    this.run('pg_ctl', ['-D', this.data, '-m', mode, '-w', 'stop']);
  }

  destroy(): void {
    try {
      this.stop('immediate');
    } catch {
      // already stopped
    }
    rmSync(this.dir, { recursive: true, force: true });
  }

  private run(tool: string, args: string[]): void {
    const exe = path.join(this.bin, tool);
    if (userInfo().uid === 0) {
      execFileSync('runuser', ['-u', 'postgres', '--', exe, ...args], { stdio: 'pipe', cwd: this.dir });
    } else {
      execFileSync(exe, args, { stdio: 'pipe', cwd: this.dir });
    }
  }

  private uid(name: string): number {
    return Number(execFileSync('id', ['-u', name], { encoding: 'utf8' }).trim());
  }

  private gid(name: string): number {
    return Number(execFileSync('id', ['-g', name], { encoding: 'utf8' }).trim());
  }
}
