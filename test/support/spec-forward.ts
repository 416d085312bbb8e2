// Checks each request a stateful test server gets against the vendor's API description by
// sending it on to Prism (serving that description with --errors): Prism's answer is ignored
// unless it refuses the request, in which case the violation is recorded and the test server
// refuses too, so a request the real API would reject fails the test.
import type { IncomingHttpHeaders } from 'node:http';

export interface SpecCheck {
  /** Refusals so far: "METHOD /path: <Prism's sl-violations>". */
  readonly violations: string[];
  /** Undefined when Prism accepted the request, else what it said. */
  check(method: string, url: string, headers: IncomingHttpHeaders, body: string): Promise<string | undefined>;
}

const FORWARDED = ['authorization', 'content-type', 'accept', 'notion-version'];

/**
 * `prismUrl` picks the Prism for a request (by its path, method and body), or undefined for a
 * request the description does not model, which the test server then checks by itself.
 */
export function specCheck(
  prismUrl: (url: string, method: string, body: string) => string | undefined,
): SpecCheck {
  const violations: string[] = [];
  return {
    violations,
    async check(method, url, headers, body) {
      const base = prismUrl(url, method, body);
      if (base === undefined) return undefined;
      const h: Record<string, string> = {};
      for (const name of FORWARDED) {
        const v = headers[name];
        if (typeof v === 'string') h[name] = v;
      }
      const res = await fetch(base + url, {
        method,
        headers: h,
        ...(body && method !== 'GET' && method !== 'HEAD' ? { body } : {}),
      });
      const text = await res.text();
      if (res.status >= 200 && res.status < 300) return undefined;
      const said = `${method} ${url.split('?')[0]}: ${res.status} ${res.headers.get('sl-violations') ?? text.slice(0, 300)}`;
      violations.push(said);
      return said;
    },
  };
}
