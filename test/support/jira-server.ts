// A small Jira Cloud (platform v3 + Service Management) for the tests that need state: it keeps
// issues, comments, remote links and a three-status workflow, speaks the documented endpoints
// the connector uses, checks the Basic auth header, and sends every request to Prism serving
// Atlassian's own descriptions first (spec-forward.ts), refusing what Prism refuses.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { specCheck, type SpecCheck } from './spec-forward.ts';

export interface JiraComment {
  id: string;
  body: unknown;
  properties: Array<{ key: string; value: unknown }>;
  jsdPublic: boolean;
  created: string;
}

export interface JiraIssue {
  id: string;
  key: string;
  summary: string;
  statusId: string;
  labels: string[];
  description: unknown;
  issueType: string;
  comments: JiraComment[];
  remoteLinks: Map<string, { id: number; object: unknown }>;
}

export const STATUSES: Record<string, string> = { '1': 'To Do', '3': 'In Progress', '5': 'Done' };
/** From each status: [transition id, name, target status]. Done only goes back to To Do. */
const WORKFLOW: Record<string, Array<[string, string, string]>> = {
  '1': [
    ['11', 'Start', '3'],
    ['31', 'Done', '5'],
  ],
  '3': [
    ['21', 'Stop', '1'],
    ['31', 'Done', '5'],
  ],
  '5': [['41', 'Reopen', '1']],
};

export interface JiraServer {
  url: string;
  issues: Map<string, JiraIssue>;
  spec: SpecCheck;
  /** Every request, as "METHOD /path". */
  requests: string[];
  /** The next write (POST) is applied, then its connection dropped before the answer. */
  dropNextWriteAnswer: boolean;
  /** Answer 403 to issue deletes (credentials without the Delete issues permission). */
  forbidDelete: boolean;
  addIssue(i: Partial<JiraIssue> & { key: string }): JiraIssue;
  close(): Promise<void>;
}

export interface JiraServerOptions {
  email: string;
  apiToken: string;
  /** Also accepted, as `Authorization: Bearer` (OAuth 2.0 / a personal access token). */
  bearer: string;
  /** Prism on jira-cloud-platform-v3.json and on jira-service-management.json. */
  platformPrism: string;
  serviceDeskPrism: string;
}

export async function startJiraServer(o: JiraServerOptions): Promise<JiraServer> {
  const expectedAuth = `Basic ${Buffer.from(`${o.email}:${o.apiToken}`).toString('base64')}`;
  const spec = specCheck((p) =>
    p.startsWith('/rest/servicedeskapi/') ? o.serviceDeskPrism : o.platformPrism,
  );
  const issues = new Map<string, JiraIssue>();
  let seq = 100;
  let commentSeq = 1000;
  let linkSeq = 1;
  const clock = (): string => new Date(Date.UTC(2026, 0, 1) + seq++ * 1000).toISOString();

  const addIssue = (i: Partial<JiraIssue> & { key: string }): JiraIssue => {
    const issue: JiraIssue = {
      id: String(10_000 + issues.size + 1),
      summary: 'An issue',
      statusId: '1',
      labels: [],
      description: null,
      issueType: 'Task',
      comments: [],
      remoteLinks: new Map(),
      ...i,
    };
    issues.set(issue.key, issue);
    return issue;
  };
  const status = (id: string) => ({ id, name: STATUSES[id] });
  const transitionsOf = (i: JiraIssue) =>
    (WORKFLOW[i.statusId] ?? []).map(([id, name, to]) => ({ id, name, to: status(to) }));
  const commentJson = (c: JiraComment, withProps: boolean) => ({
    id: c.id,
    body: c.body,
    created: c.created,
    jsdPublic: c.jsdPublic,
    author: { displayName: 'Baton Bot' },
    ...(withProps ? { properties: c.properties } : {}),
  });

  const state = {
    dropNextWriteAnswer: false,
    forbidDelete: false,
  };
  const requests: string[] = [];

  const handle = async (req: IncomingMessage, res: ServerResponse, raw: string): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://x');
    const method = req.method ?? 'GET';
    requests.push(`${method} ${url.pathname}`);
    const send = (code: number, body?: unknown): void => {
      if (body === undefined) res.writeHead(code).end();
      else res.writeHead(code, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
    const fail = (code: number, message: string): void =>
      send(code, { errorMessages: [message], errors: {} });
    const auth = req.headers.authorization;
    if (auth !== expectedAuth && auth !== `Bearer ${o.bearer}`)
      return fail(401, 'Client must be authenticated');
    const refused = await spec.check(method, req.url ?? '/', req.headers, raw);
    if (refused) return fail(400, `request breaks the API description: ${refused}`);
    const body = raw ? (JSON.parse(raw) as Record<string, any>) : {};
    const parts = url.pathname.split('/').filter(Boolean);
    const issueOr404 = (key: string | undefined): JiraIssue | undefined => {
      const i = key ? (issues.get(key) ?? [...issues.values()].find((x) => x.id === key)) : undefined;
      if (!i) fail(404, 'Issue does not exist or you do not have permission to see it.');
      return i;
    };
    const dropIfAsked = (): boolean => {
      if (!state.dropNextWriteAnswer) return false;
      state.dropNextWriteAnswer = false;
      req.socket.destroy();
      return true;
    };

    if (parts[0] === 'rest' && parts[1] === 'servicedeskapi' && parts[2] === 'request') {
      const issue = issueOr404(parts[3]);
      if (!issue) return;
      if (method === 'GET' && parts.length === 4)
        return send(200, {
          issueId: issue.id,
          issueKey: issue.key,
          requestTypeId: '7',
          serviceDeskId: '2',
          currentStatus: { status: STATUSES[issue.statusId] },
          reporter: { displayName: 'Casey Customer', accountId: 'qm:1' },
          createdDate: { iso8601: '2026-01-01T00:00:00+0000' },
          requestFieldValues: [
            { fieldId: 'summary', label: 'Summary', value: issue.summary },
            {
              fieldId: 'description',
              label: 'Description',
              value: typeof issue.description === 'string' ? issue.description : '',
            },
          ],
        });
      if (method === 'POST' && parts[4] === 'comment') {
        if (typeof body['body'] !== 'string' || typeof body['public'] !== 'boolean')
          return fail(400, 'body and public are required');
        const c: JiraComment = {
          id: String(commentSeq++),
          body: body['body'],
          properties: [],
          jsdPublic: body['public'],
          created: clock(),
        };
        issue.comments.push(c);
        return send(201, { id: c.id, body: c.body, public: c.jsdPublic });
      }
      return fail(404, 'no such endpoint');
    }

    if (parts[0] !== 'rest' || parts[1] !== 'api' || parts[2] !== '3') return fail(404, 'no such endpoint');
    const rest = parts.slice(3);
    if (method === 'GET' && rest[0] === 'myself')
      return send(200, { accountId: 'acc-1', displayName: 'Baton Bot' });
    if (rest[0] === 'search' && rest[1] === 'jql' && method === 'GET') {
      const jql = url.searchParams.get('jql') ?? '';
      const m = /^labels = "(baton-[0-9a-f]{32})" ORDER BY created ASC$/.exec(jql);
      if (!m) return fail(400, `this server only answers the connector's own JQL, not: ${jql}`);
      const found = [...issues.values()].filter((i) => i.labels.includes(m[1]!));
      return send(200, {
        issues: found.map((i) => ({ id: i.id, key: i.key, fields: { summary: i.summary } })),
        isLast: true,
      });
    }
    if (rest[0] !== 'issue') return fail(404, 'no such endpoint');
    if (rest.length === 1 && method === 'POST') {
      const f = (body['fields'] ?? {}) as Record<string, any>;
      if (typeof f['project']?.key !== 'string' || typeof f['summary'] !== 'string' || !f['issuetype']?.name)
        return fail(400, 'project, summary and issuetype are required');
      if (f['description'] !== undefined && f['description']?.type !== 'doc')
        return send(400, {
          errorMessages: [],
          errors: { description: 'Operation value must be an Atlassian Document' },
        });
      const n = [...issues.values()].filter((i) => i.key.startsWith(`${f['project'].key}-`)).length + 1;
      const issue = addIssue({
        key: `${f['project'].key}-${n}`,
        summary: f['summary'],
        labels: f['labels'] ?? [],
        description: f['description'] ?? null,
        issueType: f['issuetype'].name,
      });
      if (dropIfAsked()) return;
      return send(201, { id: issue.id, key: issue.key, self: `${server.url}/rest/api/3/issue/${issue.id}` });
    }
    const issue = issueOr404(rest[1]);
    if (!issue) return;
    const sub = rest[2];
    if (sub === undefined) {
      if (method === 'DELETE') {
        if (state.forbidDelete)
          return fail(403, 'You do not have permission to delete issues in this project.');
        issues.delete(issue.key);
        return send(204);
      }
      if (method === 'GET')
        return send(200, {
          id: issue.id,
          key: issue.key,
          fields: {
            summary: issue.summary,
            status: status(issue.statusId),
            assignee: { displayName: 'Ada Agent', accountId: 'acc-2' },
            labels: issue.labels,
            description: issue.description,
            comment: {
              comments: issue.comments.map((c) => commentJson(c, false)),
              total: issue.comments.length,
            },
          },
        });
    }
    if (sub === 'comment') {
      if (method === 'GET' && rest.length === 3) {
        const withProps = (url.searchParams.get('expand') ?? '').split(',').includes('properties');
        const list = [...issue.comments];
        if (url.searchParams.get('orderBy') === '-created') list.reverse();
        const max = Number(url.searchParams.get('maxResults') ?? 100);
        return send(200, {
          comments: list.slice(0, max).map((c) => commentJson(c, withProps)),
          startAt: 0,
          maxResults: max,
          total: list.length,
        });
      }
      if (method === 'POST' && rest.length === 3) {
        if (body['body']?.type !== 'doc') return fail(400, 'Comment body must be an Atlassian Document');
        const c: JiraComment = {
          id: String(commentSeq++),
          body: body['body'],
          properties: body['properties'] ?? [],
          jsdPublic: true,
          created: clock(),
        };
        issue.comments.push(c);
        if (dropIfAsked()) return;
        return send(201, commentJson(c, false));
      }
      if (method === 'DELETE' && rest[3]) {
        const at = issue.comments.findIndex((c) => c.id === rest[3]);
        if (at < 0) return fail(404, 'Can not find a comment for the id');
        issue.comments.splice(at, 1);
        return send(204);
      }
    }
    if (sub === 'transitions') {
      if (method === 'GET') return send(200, { transitions: transitionsOf(issue) });
      if (method === 'POST') {
        const t = transitionsOf(issue).find((x) => x.id === body['transition']?.id);
        if (!t)
          return fail(400, `Transition id '${String(body['transition']?.id)}' is not valid for this issue.`);
        issue.statusId = t.to.id;
        return send(204);
      }
    }
    if (sub === 'remotelink') {
      if (method === 'POST') {
        const globalId = body['globalId'] as string | undefined;
        if (!body['object']?.url || !body['object']?.title)
          return fail(400, 'object.url and object.title are required');
        const existing = globalId ? issue.remoteLinks.get(globalId) : undefined;
        if (existing) {
          existing.object = body['object'];
          return send(200, {
            id: existing.id,
            self: `${server.url}/rest/api/3/issue/${issue.key}/remotelink/${existing.id}`,
          });
        }
        const link = { id: linkSeq++, object: body['object'] };
        issue.remoteLinks.set(globalId ?? `id:${link.id}`, link);
        return send(201, {
          id: link.id,
          self: `${server.url}/rest/api/3/issue/${issue.key}/remotelink/${link.id}`,
        });
      }
      if (method === 'DELETE') {
        const globalId = url.searchParams.get('globalId') ?? '';
        if (!issue.remoteLinks.delete(globalId)) return fail(404, 'No remote link with that global id');
        return send(204);
      }
    }
    return fail(404, 'no such endpoint');
  };

  const sockets = new Set<Socket>();
  const http = createServer((req, res) => {
    let raw = '';
    req.setEncoding('utf8');
    req.on('data', (d: string) => (raw += d));
    req.on('end', () => {
      handle(req, res, raw).catch((e: unknown) => {
        if (!res.headersSent) res.writeHead(500).end(String(e));
      });
    });
  });
  http.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  const server: JiraServer = {
    url: `http://127.0.0.1:${(http.address() as AddressInfo).port}`,
    issues,
    spec,
    requests,
    get dropNextWriteAnswer() {
      return state.dropNextWriteAnswer;
    },
    set dropNextWriteAnswer(v: boolean) {
      state.dropNextWriteAnswer = v;
    },
    get forbidDelete() {
      return state.forbidDelete;
    },
    set forbidDelete(v: boolean) {
      state.forbidDelete = v;
    },
    addIssue,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        http.close(() => r());
      }),
  };
  return server;
}
