import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { BatonError } from '../core/errors.ts';
import { issuesToDetails, mapError } from './errors.ts';

describe('error mapping', () => {
  it('keeps BatonErrors, hides unexpected ones', () => {
    const nf = mapError(new BatonError('not_found', 'handoff x does not exist'), 1024);
    expect(nf).toMatchObject({ status: 404, body: { error: { code: 'not_found' } } });
    const boom = mapError(new TypeError('secret stuff'), 1024);
    expect(boom).toEqual({
      status: 500,
      body: { error: { code: 'internal', message: expect.not.stringMatching(/secret/), details: [] } },
      internal: true,
    });
    const unauthorized = mapError(new BatonError('unauthorized', 'no'), 1024);
    expect(unauthorized.headers).toEqual({ 'www-authenticate': 'Bearer' });
    const big = mapError(
      Object.assign(new Error('x'), { code: 'FST_ERR_CTP_BODY_TOO_LARGE', statusCode: 413 }),
      2048,
    );
    expect(big).toMatchObject({
      status: 413,
      body: { error: { code: 'too_large', message: expect.stringMatching(/2048/) } },
    });
  });

  it('turns zod issues into paths relative to the body', () => {
    const schema = z.strictObject({
      reason: z.enum(['a', 'b']),
      edits: z.strictObject({ owner: z.string() }).optional(),
      list: z.array(z.number()).optional(),
    });
    const data = { edits: { owner: 5, extra: 1 }, list: [1, 'x'] };
    const r = schema.safeParse(data);
    expect(issuesToDetails(r.error!.issues, data, 'body')).toEqual([
      { path: 'reason', message: 'is required' },
      { path: 'edits.owner', message: 'expected string, received number' },
      { path: 'edits.extra', message: 'is not an allowed field' },
      { path: 'list[1]', message: 'expected number, received string' },
    ]);
    const top = z.object({}).safeParse([]);
    expect(issuesToDetails(top.error!.issues, [], 'body')).toEqual([
      { path: 'body', message: 'expected object, received array' },
    ]);
  });
});
