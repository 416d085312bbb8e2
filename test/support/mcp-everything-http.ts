// The MCP "everything" reference server over streamable HTTP, on 127.0.0.1 only. Its own
// `streamableHttp` launcher listens on every interface (express `listen(PORT)`), so the test
// serves the same server (its createServer, one per session) through the SDK's server transport
// on a loopback listener, and checks the bearer token a configured `headers` must send.
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
// @ts-expect-error the reference server ships JavaScript without declarations
import { createServer as createEverything } from '@modelcontextprotocol/server-everything/dist/server/index.js';

interface Everything {
  server: { connect(t: StreamableHTTPServerTransport): Promise<void>; close(): Promise<void> };
  cleanup(sessionId?: string): void;
}

export interface EverythingHttp {
  url: string;
  /** Sessions the server has open (a closed connector ends its own). */
  sessions(): number;
  close(): Promise<void>;
}

export async function startEverythingHttp(token: string): Promise<EverythingHttp> {
  const sessions = new Map<string, { transport: StreamableHTTPServerTransport; everything: Everything }>();
  const server: Server = createServer((req, res) => {
    void (async () => {
      if (req.url !== '/mcp') return res.writeHead(404).end();
      if (req.headers.authorization !== `Bearer ${token}`)
        return res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"invalid token"}');
      const id = req.headers['mcp-session-id'];
      const known = typeof id === 'string' ? sessions.get(id) : undefined;
      if (known) return known.transport.handleRequest(req, res);
      if (req.method !== 'POST' || id !== undefined)
        return res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"no such session"}');
      const everything = (createEverything as () => Everything)();
      const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
        onsessioninitialized: (sid) => void sessions.set(sid, { transport, everything }),
        onsessionclosed: (sid) => {
          sessions.delete(sid);
          everything.cleanup(sid);
        },
      });
      await everything.server.connect(transport);
      await transport.handleRequest(req, res);
    })().catch(() => {
      if (!res.headersSent) res.writeHead(500).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    sessions: () => sessions.size,
    close: async () => {
      for (const [sid, s] of sessions) {
        s.everything.cleanup(sid);
        await s.transport.close().catch(() => undefined);
      }
      sessions.clear();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
