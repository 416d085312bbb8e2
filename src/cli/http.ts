// The Client over a Baton server's HTTP API (SPEC §5). The token (BATON_TOKEN) names the acting
// user; error answers `{error: {code, message, details}}` become ApiError with the HTTP status.
import type { FailureView } from '../service/intake-view.ts';
import type { TriggerView } from '../service/triggers-view.ts';
import type { ApprovalRecord } from '../core/types.ts';
import type { ApprovalView } from '../service/views.ts';
import type { AuditResult } from '../audit/verify.ts';
import type { FlowReload } from '../service/reload.ts';
import type { ConnectorCheck, ConnectorsView } from '../service/connectors.ts';
import type { HandoffSummaryView, HandoffView } from '../service/views.ts';
import type {
  Client,
  DecideResult,
  Decision,
  FlowItem,
  HandoffCommand,
  InboxItem,
  ListFilter,
  Page,
  ReplayResult,
  SendResult,
  TaskItem,
} from './client.ts';
import { ApiError } from '../core/api-error.ts';
import { UsageError } from './errors.ts';

const TIMEOUT_MS = 60_000;

type Query = Record<string, string | number | boolean | undefined>;

const CLI_AGENT = 'baton-cli';

export class HttpClient implements Client {
  readonly mode = 'http' as const;
  readonly where: string;
  private readonly base: string;
  private readonly token: string | undefined;

  constructor(url: string, token: string | undefined) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new UsageError(`BATON_URL "${url}" is not a URL (e.g. http://localhost:3000)`);
    }
    this.base = parsed.href.replace(/\/+$/, '');
    this.where = this.base;
    this.token = token || undefined;
  }

  private url(path: string, query: Query = {}): string {
    const u = new URL(this.base + path);
    for (const [k, v] of Object.entries(query)) if (v !== undefined) u.searchParams.set(k, String(v));
    return u.href;
  }

  private async request(method: string, path: string, body?: unknown, query?: Query): Promise<Response> {
    // Names this client in proxies' logs; the server trusts it for nothing (events say `via: api`).
    const headers: Record<string, string> = { accept: 'application/json', 'user-agent': CLI_AGENT };
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    let res: Response;
    try {
      res = await fetch(this.url(path, query), {
        method,
        headers,
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
    } catch (e) {
      const cause = e instanceof Error && e.cause instanceof Error ? e.cause.message : String(e);
      throw new ApiError(0, 'unreachable', `cannot reach the Baton server at ${this.base}: ${cause}`);
    }
    if (!res.ok) throw await errorOf(res);
    return res;
  }

  private async json<T>(method: string, path: string, body?: unknown, query?: Query): Promise<T> {
    const res = await this.request(method, path, body, query);
    const text = await res.text();
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new ApiError(
        res.status,
        'bad_response',
        `the server answered ${method} ${path} with non-JSON text`,
      );
    }
  }

  send(flow: string, input: unknown): Promise<SendResult> {
    // A person hands the work over: accepted by flows whose only trigger is `manual` too.
    return this.json('POST', `/v1/flows/${enc(flow)}/handoffs`, input, { trigger: 'manual' });
  }

  async settle(): Promise<void> {
    // The server's worker moves handoffs on.
  }

  list(f: ListFilter): Promise<Page<HandoffSummaryView>> {
    return this.json('GET', '/v1/handoffs', undefined, {
      flow: f.flow,
      owner: f.owner,
      state: f.state,
      breached: f.breached,
      since: f.since === undefined ? undefined : new Date(f.since).toISOString(),
      limit: f.limit,
      cursor: f.cursor,
    });
  }

  get(id: string): Promise<HandoffView> {
    return this.json('GET', `/v1/handoffs/${enc(id)}`);
  }

  getByKey(flow: string, key: string): Promise<HandoffView> {
    return this.json('GET', `/v1/flows/${enc(flow)}/handoffs/${enc(key)}`);
  }

  act(id: string, c: HandoffCommand): Promise<HandoffView> {
    if (c.kind === 'resolve') {
      const { kind: _k, action, ...body } = c;
      return this.json('POST', `/v1/handoffs/${enc(id)}/actions/${enc(action)}/resolve`, body);
    }
    if (c.kind === 'amend') {
      const { kind: _k, ...body } = c;
      return this.json('PATCH', `/v1/handoffs/${enc(id)}/input`, body);
    }
    const { kind, ...body } = c;
    return this.json('POST', `/v1/handoffs/${enc(id)}/${kind}`, body);
  }

  observed(id: string, owner: string): Promise<HandoffView> {
    return this.json('POST', `/v1/handoffs/${enc(id)}/observed`, { owner });
  }

  async approvals(f: { state?: ApprovalRecord['state']; handoffId?: string }): Promise<ApprovalView[]> {
    return items(
      await this.json('GET', '/v1/approvals', undefined, { state: f.state, handoff: f.handoffId }),
    );
  }

  decide(id: string, d: Decision): Promise<DecideResult> {
    return this.json('POST', `/v1/approvals/${enc(id)}`, d);
  }

  async tasks(f: { owner?: string; state?: string }): Promise<TaskItem[]> {
    return items(await this.json('GET', '/v1/tasks', undefined, { owner: f.owner, state: f.state }));
  }

  async inbox(f: { owner?: string }): Promise<InboxItem[]> {
    return items(await this.json('GET', '/v1/inbox', undefined, { owner: f.owner }));
  }

  async flows(): Promise<FlowItem[]> {
    return items(await this.json('GET', '/v1/flows'));
  }

  reload(): Promise<FlowReload> {
    return this.json('POST', '/v1/flows/reload');
  }

  async intakeFailures(f: {
    flow?: string;
    state?: FailureView['state'];
    limit?: number;
  }): Promise<FailureView[]> {
    const r = await this.json<{ items: FailureView[] }>('GET', '/v1/intake/failed', undefined, {
      flow: f.flow,
      // No state: all of them (the server's default is failed only).
      state: f.state ?? 'all',
      limit: f.limit,
    });
    return r.items;
  }

  intakeFailure(id: string): Promise<FailureView> {
    return this.json('GET', `/v1/intake/failed/${enc(id)}`);
  }

  replayIntake(id: string): Promise<ReplayResult> {
    return this.json('POST', `/v1/intake/failed/${enc(id)}/replay`, {});
  }

  dropIntake(id: string): Promise<FailureView> {
    return this.json('POST', `/v1/intake/failed/${enc(id)}/drop`, {});
  }

  async triggers(): Promise<Array<{ flow: string; triggers: TriggerView[] }>> {
    return (
      await this.json<{ items: Array<{ flow: string; triggers: TriggerView[] }> }>(
        'GET',
        '/v1/intake/triggers',
      )
    ).items;
  }

  connectors(): Promise<ConnectorsView> {
    return this.json('GET', '/v1/connectors');
  }

  async checkConnectors(name?: string): Promise<ConnectorCheck[]> {
    const url = name === undefined ? '/v1/connectors/check' : `/v1/connectors/${enc(name)}/check`;
    return items(await this.json('POST', url));
  }

  summary(f: { since?: number; until?: number; flow?: string; boundary?: string }): Promise<unknown> {
    return this.json('GET', '/v1/metrics/summary', undefined, {
      since: f.since === undefined ? undefined : new Date(f.since).toISOString(),
      until: f.until === undefined ? undefined : new Date(f.until).toISOString(),
      flow: f.flow,
      boundary: f.boundary,
    });
  }

  auditVerify(): Promise<AuditResult> {
    return this.json('GET', '/v1/audit/verify');
  }

  async auditExport(write: (line: string) => void, o: { handoffId?: string }): Promise<number> {
    const res = await this.request('GET', '/v1/audit/export', undefined, { handoff: o.handoffId });
    let n = 0;
    let rest = '';
    const decoder = new TextDecoder();
    const emit = (line: string) => {
      if (line.trim() === '') return;
      write(line);
      n++;
    };
    for await (const chunk of res.body ?? []) {
      rest += decoder.decode(chunk, { stream: true });
      const lines = rest.split('\n');
      rest = lines.pop()!;
      for (const l of lines) emit(l);
    }
    emit(rest + decoder.decode());
    return n;
  }

  async close(): Promise<void> {}
}

const enc = encodeURIComponent;

function items<T>(body: unknown): T[] {
  if (Array.isArray(body)) return body as T[];
  if (body && typeof body === 'object' && Array.isArray((body as { items?: unknown }).items))
    return (body as { items: T[] }).items;
  return [];
}

async function errorOf(res: Response): Promise<ApiError> {
  const text = await res.text().catch(() => '');
  try {
    const body = JSON.parse(text) as { error?: { code?: string; message?: string; details?: unknown } };
    const e = body.error;
    if (e && typeof e.message === 'string') {
      const details = Array.isArray(e.details) ? (e.details as ApiError['details']) : [];
      return new ApiError(res.status, e.code ?? '', e.message, details);
    }
  } catch {
    // Not JSON: fall through.
  }
  const hint =
    res.status === 401 ? ' (set BATON_TOKEN to an API token: `baton token create` on the server)' : '';
  return new ApiError(res.status, '', `the server answered ${res.status} ${res.statusText}${hint}`);
}
