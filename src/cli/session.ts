// What one command run needs: the global options, the mode (HTTP when BATON_URL is set,
// otherwise the project's store opened directly), output helpers, and cleanup.
import path from 'node:path';
import type { Command } from 'commander';
import type { Baton } from '../service/baton.ts';
import type { Client } from './client.ts';
import { UsageError } from './errors.ts';
import { redactUrl } from '../core/redact-url.ts';
import { escapeControls } from './terminal-text.ts';

export interface GlobalOptions {
  json?: boolean;
  project?: string;
  storage?: string;
  as?: string;
}

export interface SessionEnv {
  url?: string | undefined;
  token?: string | undefined;
}

export class Session {
  readonly options: GlobalOptions;
  /** Option names the user typed (not defaults or environment). */
  readonly typed: Set<string>;
  readonly env: SessionEnv;
  private opened: Baton | undefined;
  private clientValue: Client | undefined;

  constructor(options: GlobalOptions, typed: Set<string>, env: SessionEnv = {}) {
    this.options = options;
    this.typed = typed;
    this.env = env;
  }

  get json(): boolean {
    return this.options.json === true;
  }

  get http(): boolean {
    return !!this.env.url;
  }

  /** The project folder: --project, BATON_PROJECT, or the working directory. */
  get projectDir(): string {
    return path.resolve(this.options.project || '.');
  }

  /** --storage or BATON_DATABASE_URL, if either is set. */
  get storageOverride(): string | undefined {
    return this.options.storage || undefined;
  }

  /**
   * The Baton service on the project's store; refuses when BATON_URL points at a server.
   * The store must exist unless `create` is set: only commands that add work may start one.
   */
  async baton(
    what: string,
    { create = false, storeless = false }: { create?: boolean; storeless?: boolean } = {},
  ): Promise<Baton> {
    if (this.http) {
      throw new UsageError(
        `${what} works on the project's store directly and is not part of the HTTP API yet; ` +
          `unset BATON_URL and run it where the project and its store are (--project, --storage)`,
      );
    }
    // Loaded on demand: help, schema and HTTP mode start faster without the engine.
    const { Baton } = await import('../service/baton.ts');
    // `storeless`: the command reads only the project (its connectors), never handoffs.
    this.opened ??= await Baton.open({
      dir: this.projectDir,
      ...(storeless
        ? { storage: 'sqlite::memory:' }
        : this.storageOverride
          ? { storage: this.storageOverride }
          : {}),
      worker: false,
      createStore: create || storeless,
    });
    return this.opened;
  }

  /** The store URL a project resolves to, with this run's override, for display (password hidden). */
  async storageOf(baton: Pick<Baton, 'project'>): Promise<string> {
    const { resolveStorageUrl } = await import('../project/load.ts');
    return redactUrl(resolveStorageUrl(baton.project, this.storageOverride));
  }

  /** The client for this run's mode; `create` as for `baton()` (direct mode only). */
  async client({
    create = false,
    storeless = false,
  }: { create?: boolean; storeless?: boolean } = {}): Promise<Client> {
    if (this.clientValue) return this.clientValue;
    if (this.http) {
      for (const flag of ['as', 'project', 'storage'] as const) {
        if (this.typed.has(flag))
          throw new UsageError(
            `--${flag} applies to direct mode; with BATON_URL set the CLI talks to ${this.env.url}` +
              (flag === 'as' ? ' and the token (BATON_TOKEN) names the user' : '') +
              ' (unset BATON_URL to work on the store directly)',
          );
      }
      const { HttpClient } = await import('./http.ts');
      this.clientValue = new HttpClient(this.env.url!, this.env.token);
    } else {
      const baton = await this.baton('this command', { create, storeless });
      const { DirectClient } = await import('./direct.ts');
      this.clientValue = new DirectClient(baton, this.options.as, await this.storageOf(baton));
    }
    return this.clientValue;
  }

  /** Human output: control characters from handoff text are shown escaped (terminal-text.ts). */
  out(text: string): void {
    process.stdout.write(escapeControls(text));
  }

  /** Machine output, exactly as given (JSON lines: JSON escapes its own control characters). */
  outRaw(text: string): void {
    process.stdout.write(text);
  }

  outJson(value: unknown): void {
    process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  }

  err(text: string): void {
    process.stderr.write(escapeControls(text));
  }

  async close(): Promise<void> {
    const b = this.opened;
    this.opened = undefined;
    this.clientValue = undefined;
    await b?.close();
  }
}

export type SessionFor = (cmd: Command) => Session;

/** Wraps a command body: builds its session from the parsed options and always closes it. */
export function withSession<A extends unknown[]>(
  sessionFor: SessionFor,
  body: (s: Session, ...args: A) => Promise<void>,
): (...args: [...A, Command]) => Promise<void> {
  return async (...args: [...A, Command]) => {
    const cmd = args.at(-1) as Command;
    const s = sessionFor(cmd);
    try {
      await body(s, ...(args.slice(0, -1) as unknown as A));
    } finally {
      await s.close();
    }
  };
}
