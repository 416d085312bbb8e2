// node-zendesk wired for Baton: one client per call, whose transport is `fetchCapped` under the
// call's signal (node-zendesk has no per-request signal or timeout of its own), and which throws
// the classified failure itself: the SDK's own errors drop the Retry-After header, and without
// `throwOriginalException` even the status. The SDK appends `.json` to every path, which Zendesk
// accepts but its published description does not: the paths are sent without it.
import zendesk from 'node-zendesk';
import { fetchCapped, failureOf, jsonOf } from '../capped-fetch.ts';

export interface ZendeskSettings {
  endpointUri: string;
  username?: string | undefined;
  token?: string | undefined;
  oauthToken?: string | undefined;
  timeoutMs: number;
}

type Path = Array<string | number | Record<string, string | number>>;

export interface ZendeskCalls {
  get(path: Path): Promise<Record<string, unknown>>;
  put(path: Path, body?: unknown): Promise<Record<string, unknown>>;
  /** One page of GET /search (node-zendesk's search client), the answer whole. */
  search(query: Record<string, string | number>): Promise<Record<string, unknown>>;
}

/** Calls to Zendesk through node-zendesk, each bounded by `signal` and the configured timeout. */
export function zendeskCalls(
  s: ZendeskSettings,
  what: string,
  signal: AbortSignal,
  gate: () => Promise<void>,
): ZendeskCalls {
  const client = zendesk.createClient({
    endpointUri: s.endpointUri.replace(/\/+$/, ''),
    ...(s.oauthToken ? { token: s.oauthToken, oauth: true } : { username: s.username, token: s.token }),
    throwOriginalException: true,
    transportConfig: {
      async transportFn(uri: string, o: { method: string; headers: Record<string, string>; body?: string }) {
        await gate();
        const answer = await fetchCapped(uri, {
          method: o.method,
          headers: o.headers,
          ...(o.body !== undefined ? { body: o.body } : {}),
          signal,
          timeoutMs: s.timeoutMs,
        });
        if (answer.status < 200 || answer.status > 299) throw failureOf(what, answer, zendeskDetail);
        return answer;
      },
      // What node-zendesk reads of an answer; the body was already read under the size cap. Only
      // 2xx answers get here, and the SDK takes any answer with a Retry-After for a 429: hidden.
      responseAdapter(a: Awaited<ReturnType<typeof fetchCapped>>) {
        return {
          status: a.status,
          statusText: a.statusText,
          headers: { get: (n: string) => (n === 'retry-after' ? null : a.headers.get(n)) },
          json: async () => jsonOf(what, a),
        };
      },
    },
  });
  // The tickets client is a plain core client: without its API names the answers stay whole
  // (`{ticket, audit}`), and without `.json` the paths are the documented ones.
  const raw = client.tickets;
  raw.useDotJson = false;
  raw.jsonAPINames = [];
  // The search client likewise: `{results, count, next_page}` whole, at the documented path.
  const search = client.search;
  search.useDotJson = false;
  search.jsonAPINames = [];
  const call = async (method: string, path: Path, body?: unknown, on: typeof raw | typeof search = raw) => {
    // request() is typed for string paths; it takes the array form its own methods use.
    const request = on.request.bind(on) as unknown as (
      m: string,
      p: Path,
      ...b: unknown[]
    ) => Promise<unknown>;
    const { result } = (await request(method, [...path], ...(body === undefined ? [] : [body]))) as {
      result: unknown;
    };
    return (result && typeof result === 'object' ? result : {}) as Record<string, unknown>;
  };
  return {
    get: (path) => call('GET', path),
    put: (path, body) => call('PUT', path, body),
    search: (query) => call('GET', ['search', query], undefined, search),
  };
}

/** Zendesk's error: `{error, description, details: {field: [{description}]}}` or `{error: {title, message}}`. */
function zendeskDetail(body: unknown): string | undefined {
  const b = (body ?? {}) as { error?: unknown; description?: unknown; details?: unknown };
  const nested = (b.error ?? {}) as { title?: unknown; message?: unknown };
  const head = [
    typeof b.error === 'string' ? b.error : nested.title,
    typeof b.description === 'string' ? b.description : nested.message,
  ].filter((x): x is string => typeof x === 'string' && x.length > 0);
  const fields =
    b.details && typeof b.details === 'object'
      ? Object.entries(b.details as Record<string, unknown>).flatMap(([field, list]) =>
          Array.isArray(list)
            ? list.map(
                (d: { description?: unknown }) =>
                  `${field}: ${typeof d.description === 'string' ? d.description : ''}`,
              )
            : [],
        )
      : [];
  return [head.join(': '), ...fields.slice(0, 5)].filter(Boolean).join('; ') || undefined;
}
