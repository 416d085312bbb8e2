// `npm run bench -- --connectors`: lead-to-owner with the HubSpot lookup and the Slack notice
// against local servers that answer at once, beside the built-in-only run of the same process
// on the same machine. The connector path should keep at least two thirds of the throughput.
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { runInProcess } from './inprocess.ts';
import type { RunFigures } from './common.ts';

/** Canned answers for the three calls the connector path makes (search, owner, postMessage). */
async function startCanned(): Promise<{ url: string; calls: Map<string, number>; server: Server }> {
  const calls = new Map<string, number>();
  let ts = 1_700_000_000;
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const p = (req.url ?? '').split('?')[0]!;
      calls.set(p.replace(/\d+$/, ':id'), (calls.get(p.replace(/\d+$/, ':id')) ?? 0) + 1);
      res.setHeader('content-type', 'application/json');
      if (p === '/crm/v3/objects/companies/search') {
        const now = new Date().toISOString();
        res.end(
          JSON.stringify({
            total: 1,
            results: [
              {
                id: '1',
                properties: { name: 'Initech', domain: 'initech.com', hubspot_owner_id: '101' },
                createdAt: now,
                updatedAt: now,
                archived: false,
              },
            ],
          }),
        );
      } else if (p.startsWith('/crm/v3/owners/')) {
        const now = new Date().toISOString();
        res.end(
          JSON.stringify({
            id: '101',
            email: 'kim@example.com',
            firstName: 'Kim',
            lastName: 'Park',
            userId: 1,
            createdAt: now,
            updatedAt: now,
            archived: false,
          }),
        );
      } else if (p === '/api/chat.postMessage') {
        res.end(JSON.stringify({ ok: true, channel: 'D0KIM', ts: `${++ts}.000100` }));
      } else {
        res.statusCode = 404;
        res.end('{"message":"not found"}');
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, calls, server };
}

export interface ConnectorBench {
  builtin: RunFigures;
  connected: RunFigures;
  ratio: number;
  calls: Record<string, number>;
}

export async function runConnectorBench(o: {
  examples: string;
  work: string;
  total: number;
  inFlight: number;
  say: (s: string) => void;
}): Promise<ConnectorBench> {
  const canned = await startCanned();
  const dir = path.join(o.work, 'connected');
  cpSync(o.examples, dir, { recursive: true, filter: (s) => !s.includes(`${path.sep}data`) });
  const yaml = readFileSync(path.join(dir, 'baton.yaml'), 'utf8').replace(
    '{ id: kim, name: Kim Park, email: kim@example.com, roles: [] }',
    '{ id: kim, name: Kim Park, email: kim@example.com, slack: U0KIM, roles: [] }',
  );
  writeFileSync(
    path.join(dir, 'baton.yaml'),
    `${yaml}
outbound: { allowHosts: [127.0.0.1] }
connectors:
  hubspot: { token: "\${BENCH_HUBSPOT_TOKEN}", basePath: "${canned.url}" }
  slack: { token: "\${BENCH_SLACK_TOKEN}", signingSecret: "\${BENCH_SLACK_SIGNING}", apiUrl: "${canned.url}/api/" }
`,
  );
  process.env.BENCH_HUBSPOT_TOKEN = 'pat-bench';
  process.env.BENCH_SLACK_TOKEN = 'xoxb-bench';
  process.env.BENCH_SLACK_SIGNING = 'bench-signing-secret';
  const db = (name: string) => `sqlite:${path.join(o.work, `${name}.db`)}`;
  o.say('bench: built-ins only');
  const builtin = await runInProcess(o.examples, db('builtin'), o.total, o.inFlight, true);
  o.say('bench: HubSpot lookup and Slack notice');
  const connected = await runInProcess(dir, db('connected'), o.total, o.inFlight, true);
  canned.server.close();
  return {
    builtin,
    connected,
    ratio: connected.perSecond / builtin.perSecond,
    calls: Object.fromEntries(canned.calls),
  };
}
