import { describe, expect, it } from 'vitest';
import { jsonDepthExceeds, MAX_DEPTH, parseJsonBody } from './body.ts';

describe('JSON bodies', () => {
  it('counts nesting outside strings only', () => {
    expect(jsonDepthExceeds('[[[1]]]', 3)).toBe(false);
    expect(jsonDepthExceeds('[[[[1]]]]', 3)).toBe(true);
    expect(jsonDepthExceeds('{"a":"[[[[[[","b":[1]}', 3)).toBe(false);
    expect(jsonDepthExceeds('{"a":"\\"[[[[[[","b":[1]}', 3)).toBe(false);
    expect(jsonDepthExceeds('[{}, {}, {}, [], []]', 2)).toBe(false);
  });

  it('reads an empty body as no body and refuses what JSON.parse would mangle', () => {
    expect(parseJsonBody('')).toBeUndefined();
    expect(parseJsonBody('  \n')).toBeUndefined();
    expect(parseJsonBody('{"a":[1,{"b":null}]}')).toEqual({ a: [1, { b: null }] });
    expect(() => parseJsonBody('{"a":')).toThrow(expect.objectContaining({ code: 'invalid_json' }));
    expect(() => parseJsonBody(`${'['.repeat(MAX_DEPTH + 1)}${']'.repeat(MAX_DEPTH + 1)}`)).toThrow(/deeper/);
    expect(() => parseJsonBody('{"x":{"__proto__":{"admin":true}}}')).toThrow(/__proto__/);
    expect(parseJsonBody('{"note":"__proto__ is fine in a value"}')).toEqual({
      note: '__proto__ is fine in a value',
    });
    expect(() => parseJsonBody('{"a":{"b":[1,2e999]}}', 'input')).toThrow(
      expect.objectContaining({
        code: 'validation_failed',
        details: [expect.objectContaining({ path: 'input.a.b[1]' })],
      }),
    );
    expect(parseJsonBody('{"a":1e300,"id":"e1000"}')).toEqual({ a: 1e300, id: 'e1000' });
  });
});
