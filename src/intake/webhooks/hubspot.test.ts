// HubSpot's v3 signature over the URI it called: the escapes HubSpot lists are decoded before
// signing (so a sender that signed `@` matches a request that arrived as `%40`), others are not.
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { calledUri, hubspotSignature, hubspotVendor } from './hubspot.ts';

const SECRET = 'client-secret-1';
const documented = (uri: string, body: string, ts: string) =>
  createHmac('sha256', SECRET).update(`POST${uri}${body}${ts}`).digest('base64');

describe('HubSpot signature v3', () => {
  it('decodes the listed escapes of the URI before signing, whatever their case', () => {
    const body = '[{"eventId":1}]';
    const ts = '1765000000000';
    const decoded = 'https://baton.example.com/v1/intake/hubspot/leads?email=a@b.com&t=(x)&at=10:30';
    const sent = 'https://baton.example.com/v1/intake/hubspot/leads?email=a%40b.com&t=%28x%29&at=10%3a30';
    expect(hubspotSignature(SECRET, 'post', sent, body, ts)).toBe(documented(decoded, body, ts));
    // %20 is not among them: it stays as it is.
    expect(hubspotSignature(SECRET, 'POST', 'https://x.io/a%20b', body, ts)).toBe(
      documented('https://x.io/a%20b', body, ts),
    );
  });

  it('the URI is the public URL with the path and query as received', () => {
    expect(calledUri('https://baton.example.com/', '/v1/intake/hubspot/leads?x=1', 'ignored')).toBe(
      'https://baton.example.com/v1/intake/hubspot/leads?x=1',
    );
    expect(calledUri(undefined, '/v1/intake/hubspot/leads', '127.0.0.1:3000')).toBe(
      'http://127.0.0.1:3000/v1/intake/hubspot/leads',
    );
  });

  it('refuses a timestamp more than 5 minutes away, either way, and a signature of another body', () => {
    const body = Buffer.from('[]');
    const now = 1_765_000_000_000;
    const req = (ts: number, sig?: string) => ({
      method: 'POST',
      url: '/v1/intake/hubspot/leads',
      publicUrl: 'https://baton.example.com',
      headers: {
        'x-hubspot-request-timestamp': String(ts),
        'x-hubspot-signature-v3':
          sig ?? documented('https://baton.example.com/v1/intake/hubspot/leads', '[]', String(ts)),
      },
      body,
      nowMs: now,
    });
    const settings = { clientSecret: SECRET };
    expect(hubspotVendor.verify(settings, req(now - 299_000))).toMatchObject({ ok: true });
    expect(hubspotVendor.verify(settings, req(now - 301_000))).toMatchObject({ ok: false });
    expect(hubspotVendor.verify(settings, req(now + 301_000))).toMatchObject({ ok: false });
    expect(
      hubspotVendor.verify(
        settings,
        req(now, documented('https://baton.example.com/v1/intake/hubspot/leads', '[{}]', String(now))),
      ),
    ).toEqual({
      ok: false,
      reason: 'the signature does not match',
    });
  });
});
