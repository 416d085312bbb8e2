import { describe, expect, it } from 'vitest';
import { jsonProblems, storableJson } from './json-safe.ts';

describe('storableJson', () => {
  it('keeps plain JSON and normalises what JSON would', () => {
    expect(storableJson({ a: [1, 'x', null], b: { c: true } })).toEqual({
      a: [1, 'x', null],
      b: { c: true },
    });
    expect(storableJson(undefined)).toBeNull();
    expect(storableJson({ d: new Date(0), u: undefined, f: () => 1, n: Number.NaN })).toEqual({
      d: '1970-01-01T00:00:00.000Z',
      n: null,
    });
  });
  it('says why a value cannot be stored', () => {
    const loop: Record<string, unknown> = {};
    loop.self = loop;
    expect(storableJson(loop)).toEqual({ unstorable: expect.stringMatching(/^not JSON/) });
    expect(storableJson({ big: 1n })).toEqual({ unstorable: expect.stringMatching(/BigInt/) });
    expect(storableJson('x'.repeat(300 * 1024))).toEqual({
      unstorable: expect.stringMatching(/larger than/),
    });
    let deep: unknown = 1;
    for (let i = 0; i < 100; i++) deep = [deep];
    expect(storableJson(deep)).toEqual({ unstorable: expect.stringMatching(/deeper than 64/) });
  });
  it('jsonProblems names the path of a non-finite number', () => {
    expect(jsonProblems({ a: [Infinity] })).toEqual([
      { path: 'input.a[0]', message: 'must be a finite number' },
    ]);
  });
});
