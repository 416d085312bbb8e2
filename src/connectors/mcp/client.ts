// One MCP server session through the SDK: a child process over stdio, or a streamable HTTP
// endpoint. A session that ends (the server exits, the connection drops) is opened again on the
// next call, so a crashed server costs the calls in flight, not the connector.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { getDefaultEnvironment, StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { CallToolResult, Tool } from '@modelcontextprotocol/sdk/types.js';
import type { PinnedFetch } from '../../outbound/fetch.ts';

export type ServerSpec =
  | { kind: 'stdio'; command: string; args: string[]; env: Record<string, string>; cwd: string }
  | { kind: 'http'; url: URL; headers: Record<string, string>; fetch: PinnedFetch };

/** What the server said about itself when the session opened. */
export interface ServerInfo {
  name: string;
  version: string;
}

const CLIENT = { name: 'baton', version: '0.1.0' };
/** The last lines a stdio server wrote to stderr: they say why it did not start. */
const STDERR_KEEP = 2000;

export class McpSession {
  readonly #spec: ServerSpec;
  readonly #openTimeoutMs: number;
  #client: Promise<Client> | undefined;
  #stderr = '';
  #closed = false;

  constructor(spec: ServerSpec, openTimeoutMs: number) {
    this.#spec = spec;
    this.#openTimeoutMs = openTimeoutMs;
  }

  #transport(): Transport {
    const s = this.#spec;
    if (s.kind === 'http')
      return new StreamableHTTPClientTransport(s.url, {
        requestInit: { headers: s.headers, redirect: 'error' },
        // Every connection goes to an address the outbound policy checked.
        fetch: s.fetch,
      });
    const t = new StdioClientTransport({
      command: s.command,
      args: s.args,
      // Only the SDK's safe defaults (PATH, HOME, …) and what baton.yaml gives: not Baton's secrets.
      env: { ...getDefaultEnvironment(), ...s.env },
      cwd: s.cwd,
      stderr: 'pipe',
    });
    t.stderr?.on('data', (chunk: Buffer) => {
      this.#stderr = (this.#stderr + chunk.toString('utf8')).slice(-STDERR_KEEP);
    });
    return t;
  }

  /** The connected client, connecting (again, after the session ended) when needed. */
  client(signal?: AbortSignal): Promise<Client> {
    if (this.#closed) return Promise.reject(new Error('the MCP connector is closed'));
    if (!this.#client) {
      const opening = this.#connect(signal);
      this.#client = opening;
      opening.catch(() => {
        if (this.#client === opening) this.#client = undefined;
      });
    }
    return this.#client;
  }

  async #connect(signal?: AbortSignal): Promise<Client> {
    const client = new Client(CLIENT);
    const transport = this.#transport();
    let current: Promise<Client> | undefined;
    // The session ended: the next call opens a new one.
    client.onclose = () => {
      if (this.#client === current) this.#client = undefined;
    };
    try {
      await client.connect(transport, { timeout: this.#openTimeoutMs, ...(signal ? { signal } : {}) });
    } catch (e) {
      await client.close().catch(() => undefined);
      const why = this.#stderr.trim().split('\n').slice(-3).join(' | ');
      throw new Error(
        `${this.#where()} did not start a session: ${(e as Error).message}${why ? ` (stderr: ${why})` : ''}`,
        {
          cause: e,
        },
      );
    }
    current = this.#client;
    return client;
  }

  #where(): string {
    const s = this.#spec;
    return s.kind === 'http' ? `MCP server ${s.url.origin}` : `MCP server \`${s.command}\``;
  }

  info(client: Client): ServerInfo {
    const v = client.getServerVersion();
    return { name: v?.name ?? 'unnamed server', version: v?.version ?? '?' };
  }

  /** Every tool the server lists (all pages). */
  async tools(signal: AbortSignal, timeoutMs: number): Promise<{ tools: Tool[]; info: ServerInfo }> {
    const client = await this.client(signal);
    const tools: Tool[] = [];
    let cursor: string | undefined;
    do {
      const page = await client.listTools(cursor ? { cursor } : {}, { signal, timeout: timeoutMs });
      tools.push(...page.tools);
      cursor = page.nextCursor;
    } while (cursor);
    return { tools, info: this.info(client) };
  }

  async call(
    name: string,
    args: Record<string, unknown>,
    signal: AbortSignal,
    timeoutMs: number,
  ): Promise<CallToolResult> {
    const client = await this.client(signal);
    return (await client.callTool({ name, arguments: args }, undefined, {
      signal,
      timeout: timeoutMs,
    })) as CallToolResult;
  }

  /** The process id of a stdio server (tests end it to see the session come back). */
  async pid(): Promise<number | null> {
    const c = await this.client();
    const t = c.transport;
    return t instanceof StdioClientTransport ? t.pid : null;
  }

  async close(): Promise<void> {
    this.#closed = true;
    const opening = this.#client;
    this.#client = undefined;
    if (!opening) return;
    const client = await opening.catch(() => undefined);
    if (!client) return;
    const t = client.transport;
    // An HTTP session is ended on the server too (DELETE), not left to expire.
    if (t instanceof StreamableHTTPClientTransport) await t.terminateSession().catch(() => undefined);
    await client.close();
  }
}
