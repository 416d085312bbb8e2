// The one contract every connector runs (as the stores share theirs): its declarations are
// complete (parameter schemas that become JSON Schema, a risk level, how a repeat is safe, an
// undo or a stated reason there is none), its secrets never surface in an error, and it meets
// a misbehaving server (garbage, 500, 429 with Retry-After, a slow body, an oversized body) with
// a classified error, never a hang or a crash.
//
//   connectorContract({ definition: zendesk, settings, hostile: (baseUrl) => ({ ...settings, endpointUri: baseUrl }), read: (inst, signal) => ... })
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Registry } from '../../src/actions/registry.ts';
import { Tables } from '../../src/actions/tables.ts';
import { isBatonError } from '../../src/core/errors.ts';
import type { ConnectorDefinition, ConnectorInstance } from '../../src/connectors/define.ts';
import { openConnectors, readConnectors } from '../../src/connectors/configure.ts';
import { OutboundPolicy } from '../../src/outbound/policy.ts';
import { ROOT } from './project.ts';

export interface ContractOptions {
  /** The connector type under test. */
  definition: ConnectorDefinition<never>;
  /** Valid settings (as in baton.yaml, without `type`), with planted secret values. */
  settings: Record<string, unknown>;
  /** The same settings pointed at a base URL (the hostile server), or undefined if it has none. */
  hostile?: (baseUrl: string) => Record<string, unknown>;
  /** One read call through the opened connector (a context source or `check`). */
  read?: (instance: ConnectorInstance, signal: AbortSignal) => Promise<unknown>;
  /** The read's expected time limit in ms for the slow-body case (default 3000). */
  slowLimitMs?: number;
}

const RISKS = ['low', 'medium', 'high'];
export const NO_PEOPLE = { usersOf: () => [], person: () => undefined };

async function openSubject(definition: ConnectorDefinition<never>, settings: Record<string, unknown>) {
  const { configured, problems } = readConnectors({ subject: { type: definition.type, ...settings } });
  expect(problems.map((p) => p.message ?? p.issues?.message)).toEqual([]);
  const registry = new Registry(new Tables(new Map()));
  const [opened] = await openConnectors(configured, registry, {
    outbound: new OutboundPolicy({ allowHosts: ['127.0.0.1'] }),
    projectDir: ROOT,
    people: NO_PEOPLE,
  });
  return { registry, opened: opened!, configured: configured[0]! };
}

export function connectorContract(o: ContractOptions): void {
  const { definition } = o;
  describe(`connector contract: ${definition.type}`, () => {
    it('declares every action and source completely', async () => {
      const { opened, registry } = await openSubject(definition, o.settings);
      expect(opened.instance.actions.length + opened.instance.sources.length).toBeGreaterThan(0);
      for (const a of opened.instance.actions) {
        const def = registry.action(a.id)!;
        expect(a.id, 'named NAME.action').toMatch(/^subject\.[A-Za-z][A-Za-z0-9_-]*$/);
        expect(() =>
          z.toJSONSchema(a.params as z.ZodType, { io: 'input', unrepresentable: 'any' }),
        ).not.toThrow();
        expect(RISKS, `${a.id} risk`).toContain(a.risk);
        expect(typeof a.idempotent, `${a.id} idempotent`).toBe('boolean');
        if (a.idempotent) expect(a.idempotency, `${a.id}: how a repeat is safe`).toBeDefined();
        const reversible = typeof a.rollback === 'function';
        const reason = typeof a.irreversible === 'string' && a.irreversible.length > 0;
        expect(reversible || reason, `${a.id}: a rollback, or why there is none`).toBe(true);
        expect(def).toBeDefined();
      }
      for (const s of opened.instance.sources) {
        expect(s.id).toMatch(/^subject\.[A-Za-z][A-Za-z0-9_-]*$/);
        expect(['trusted', 'untrusted']).toContain(s.trust);
        expect(() =>
          z.toJSONSchema(s.params as z.ZodType, { io: 'input', unrepresentable: 'any' }),
        ).not.toThrow();
      }
    });

    it('masks its secrets in the settings it shows', async () => {
      const { configured } = await openSubject(definition, o.settings);
      const shown = JSON.stringify(configured.display);
      for (const secret of configured.secretValues) expect(shown).not.toContain(secret);
      expect(
        definition.secrets.length,
        'a connector with credentials names its secret fields',
      ).toBeGreaterThanOrEqual(0);
    });

    if (!o.hostile || !o.read) return;
    const hostile = o.hostile;
    const read = o.read;
    let server: HostileServer;
    beforeAll(async () => {
      server = await startHostileServer();
    });
    afterAll(async () => server?.close());

    const attempt = async (mode: HostileMode, limitMs = 15_000) => {
      server.mode = mode;
      const { opened, configured } = await openSubject(definition, hostile(server.url));
      const started = Date.now();
      let error: unknown;
      try {
        await read(opened.instance, AbortSignal.timeout(limitMs));
      } catch (e) {
        error = e;
      }
      await opened.instance.close?.();
      const text = error instanceof Error ? `${error.message} ${String(error.stack)}` : String(error);
      for (const secret of configured.secretValues)
        expect(text, 'no secret in the error').not.toContain(secret);
      return { error, ms: Date.now() - started };
    };

    it('a 500 is a retryable failure with the status named', async () => {
      const { error } = await attempt('500');
      expect(isBatonError(error) && error.retryable).toBe(true);
      expect((error as Error).message).toMatch(/500/);
    });

    it('a 429 honours Retry-After (retried after it, then reported as retryable)', async () => {
      server.hits = 0;
      const { error, ms } = await attempt('429');
      expect(isBatonError(error) && error.retryable).toBe(true);
      expect((error as Error).message).toMatch(/429/);
      // Retry-After: 1 → the read waited about a second before trying again.
      if (server.hits > 1) expect(ms).toBeGreaterThanOrEqual(900);
    });

    it('a 401 is not retried and says to check the credentials', async () => {
      server.hits = 0;
      const { error } = await attempt('401');
      expect(isBatonError(error) && !error.retryable).toBe(true);
      expect(server.hits).toBe(1);
    });

    it('garbage is an error, not a crash', async () => {
      const { error } = await attempt('garbage');
      expect(error).toBeInstanceOf(Error);
    });

    it('a slow body ends at the time limit', async () => {
      const limit = o.slowLimitMs ?? 3000;
      const { error, ms } = await attempt('slow', limit);
      expect(error).toBeInstanceOf(Error);
      expect(ms).toBeLessThan(limit + 5000);
    });

    it('an oversized body ends in an error or a bounded answer, never a hang', async () => {
      const { ms } = await attempt('huge');
      expect(ms).toBeLessThan(20_000);
    });
  });
}

export type HostileMode = '500' | '429' | '401' | 'garbage' | 'slow' | 'huge';

export interface HostileServer {
  url: string;
  mode: HostileMode;
  hits: number;
  close(): Promise<void>;
}

/** A loopback server that misbehaves on every path, in the way `mode` says. */
export async function startHostileServer(): Promise<HostileServer> {
  const state = { mode: '500' as HostileMode, hits: 0 };
  const sockets = new Set<Socket>();
  const server: Server = createServer((req, res) => {
    state.hits++;
    req.resume();
    switch (state.mode) {
      case '500':
        res.writeHead(500, { 'content-type': 'application/json' }).end('{"error":"boom"}');
        return;
      case '429':
        res
          .writeHead(429, { 'content-type': 'application/json', 'retry-after': '1' })
          .end('{"error":"slow down"}');
        return;
      case '401':
        res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"invalid token"}');
        return;
      case 'garbage':
        res.writeHead(200, { 'content-type': 'application/json' }).end('<html>{{{ not json');
        return;
      case 'slow': {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write('{"a":');
        const t = setInterval(() => res.write(' '), 500);
        res.on('close', () => clearInterval(t));
        return;
      }
      case 'huge': {
        res.writeHead(200, { 'content-type': 'application/json' });
        const chunk = Buffer.alloc(1 << 20, 0x20);
        let sent = 0;
        const pump = (): void => {
          while (sent < 64 && res.write(chunk)) sent++;
          if (sent >= 64) res.end('{}');
          else res.once('drain', pump);
        };
        res.write('{"pad":"');
        pump();
        return;
      }
    }
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    get mode() {
      return state.mode;
    },
    set mode(m: HostileMode) {
      state.mode = m;
    },
    get hits() {
      return state.hits;
    },
    set hits(n: number) {
      state.hits = n;
    },
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}
