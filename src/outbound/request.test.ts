// The outbound request on its own: it connects to the address the policy checked (not to what a
// second lookup would say), keeps TLS certificate checks, and says when nothing was sent.
import { createServer, type IncomingHttpHeaders } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BatonError } from '../core/errors.ts';
import { OutboundPolicy } from './policy.ts';
import { outboundRequest } from './request.ts';

// A throwaway self-signed certificate for "localhost" (valid until 2126), made for this test.
const KEY = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgDOtgz3S408CPEuF5
x4TFwlzBcDj81xtsYCEgZVnhS1OhRANCAASuA5XPmRpldTuQ/nOVSRpfokv1mAAE
g5bNkgjvEj7H7GD2Yu9MW9SU2hp3kmXknvXohP5cVCMOv45C0cGmUycR
-----END PRIVATE KEY-----`;
const CERT = `-----BEGIN CERTIFICATE-----
MIIBgDCCASWgAwIBAgIUbij7QnxmvVcNisy7Wi+PE8T1rr0wCgYIKoZIzj0EAwIw
FDESMBAGA1UEAwwJbG9jYWxob3N0MCAXDTI2MTIwMzEyMTQzMVoYDzIxMjYxMTA5
MTIxNDMxWjAUMRIwEAYDVQQDDAlsb2NhbGhvc3QwWTATBgcqhkjOPQIBBggqhkjO
PQMBBwNCAASuA5XPmRpldTuQ/nOVSRpfokv1mAAEg5bNkgjvEj7H7GD2Yu9MW9SU
2hp3kmXknvXohP5cVCMOv45C0cGmUycRo1MwUTAdBgNVHQ4EFgQUZjX11Txeh4J0
+SySRKu+sO/x2EQwHwYDVR0jBBgwFoAUZjX11Txeh4J0+SySRKu+sO/x2EQwDwYD
VR0TAQH/BAUwAwEB/zAKBggqhkjOPQQDAgNJADBGAiEA9J+9XGEg4BC8hjYPvafV
snhVYJ2fdtaCy8FFBUn/TToCIQCZ9Ka/8LnLQQuUOn6t0GFCvAJGQ/tFGLM03RtB
hx1Ojg==
-----END CERTIFICATE-----`;

const seen: IncomingHttpHeaders[] = [];
const plain = createServer((req, res) => {
  seen.push(req.headers);
  res.end('hello');
});
const tls = createTlsServer({ key: KEY, cert: CERT }, (_req, res) => res.end('secret'));
const portOf = (s: { address(): unknown }) => (s.address() as AddressInfo).port;

beforeAll(async () => {
  await new Promise<void>((r) => plain.listen(0, '127.0.0.1', r));
  await new Promise<void>((r) => tls.listen(0, '127.0.0.1', r));
});
afterAll(async () => {
  plain.closeAllConnections();
  tls.closeAllConnections();
  await new Promise((r) => plain.close(r));
  await new Promise((r) => tls.close(r));
});

const request = (policy: OutboundPolicy, url: string) =>
  outboundRequest(policy, { method: 'GET', url, signal: AbortSignal.timeout(3000), maxBytes: 1024 });

describe('outboundRequest', () => {
  it('connects to the address that was checked, sending the URL host as Host', async () => {
    let lookups = 0;
    // Asked once per call: the connection must use that answer (a second lookup could rebind).
    const policy = new OutboundPolicy({ allowHosts: ['pinned.test'] }, async () => {
      lookups++;
      return [{ address: '127.0.0.1', family: 4 }];
    });
    const answer = await request(policy, `http://pinned.test:${portOf(plain)}/x`);
    expect(answer).toMatchObject({ status: 200, text: 'hello', tooLarge: false });
    expect(lookups).toBe(1);
    expect(seen.at(-1)!.host).toBe(`pinned.test:${portOf(plain)}`);
  });

  it('keeps checking TLS certificates against the host name', async () => {
    const policy = new OutboundPolicy({ allowHosts: ['localhost'] }, async () => [
      { address: '127.0.0.1', family: 4 },
    ]);
    const e = await request(policy, `https://localhost:${portOf(tls)}/`).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(BatonError);
    expect((e as BatonError).message).toMatch(/could not connect \(DEPTH_ZERO_SELF_SIGNED_CERT\)/);
    // The handshake failed: nothing was sent, and trying again cannot help.
    expect((e as BatonError).context.sent).toBe('no');
    expect((e as BatonError).retryable).toBe(false);
  });

  it('refuses a URL with a user name or password before any lookup', async () => {
    const policy = new OutboundPolicy({ allowHosts: ['127.0.0.1'] }, async () => {
      throw new Error('no lookup expected');
    });
    const e = await request(policy, `http://u:p@127.0.0.1:${portOf(plain)}/`).catch((x: unknown) => x);
    expect((e as BatonError).message).toMatch(/may not carry a user name or password/);
    expect((e as BatonError).message).not.toContain('u:p');
  });
});
