import { describe, expect, it } from 'vitest';
import { BatonError } from '../core/errors.ts';
import type { CelVars } from './compiled.ts';
import { CelCompileError, FlowCel } from './cel.ts';
import { celValue } from './cel-value.ts';

const schema = {
  type: 'object',
  required: ['id'],
  properties: {
    id: { type: 'string' },
    company: { type: 'string' },
    email: { type: 'string' },
    amount: { type: 'number' },
    count: { type: 'integer' },
    tags: { type: 'array', items: { type: 'string' } },
    lines: { type: 'array', items: { type: 'object', properties: { qty: { type: 'integer' } } } },
    address: { type: 'object', properties: { city: { type: 'string' }, zip: { type: 'string' } } },
  },
};

/** The error `fn` throws (fails the test when it throws nothing). */
function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error('expected an error');
}

function vars(input: Record<string, unknown>, cel: FlowCel, more: Partial<CelVars> = {}): CelVars {
  return { input: cel.celInput(input), context: {}, decision: {}, handoff: { id: 'h1', flow: 'f' }, ...more };
}

describe('FlowCel expressions', () => {
  const cel = new FlowCel(schema);

  it('compares integer fields as int and number fields as double', () => {
    const v = vars({ id: 'a', count: 7, amount: 6000 }, cel);
    expect(cel.expr('input.count > 5', 'w', 'bool').eval(v)).toBe(true);
    expect(cel.expr('input.count + 1 == 8', 'w', 'bool').eval(v)).toBe(true);
    expect(cel.expr('input.amount > 5000.0', 'w', 'bool').eval(v)).toBe(true);
    expect(cel.expr('input.amount > 5000', 'w', 'bool').eval(v)).toBe(true);
    expect(cel.expr('input.amount > 7000.0', 'w', 'bool').eval(v)).toBe(false);
  });

  it('converts integer fields to BigInt, nested and in arrays, without touching the rest', () => {
    const raw = { id: 'a', count: 3, amount: 2, lines: [{ qty: 2 }], tags: ['x'] };
    const input = cel.celInput(raw);
    // Objects become Maps for CEL (cel-value.ts); the payload itself is left as it was.
    expect(input).toEqual(
      new Map<string, unknown>([
        ['id', 'a'],
        ['count', 3n],
        ['amount', 2],
        ['lines', [new Map([['qty', 2n]])]],
        ['tags', ['x']],
      ]),
    );
    expect(raw.count).toBe(3);
    expect(cel.expr('input.lines[0].qty * 2 == 4', 'w', 'bool').eval(vars(raw, cel))).toBe(true);
  });

  it('has() is false for absent optional fields and for absent parents', () => {
    const v = vars({ id: 'a' }, cel);
    expect(cel.expr('has(input.amount)', 'w', 'bool').eval(v)).toBe(false);
    expect(cel.expr('has(input.amount) && input.amount > 5000.0', 'w', 'bool').eval(v)).toBe(false);
    expect(cel.expr('has(input.address.zip)', 'w', 'bool').eval(v)).toBe(false);
    expect(cel.expr('has(context.account.owner)', 'w', 'bool').eval(v)).toBe(false);
    expect(cel.expr('has(context.a.b.c)', 'w', 'bool').eval({ ...v, context: { a: {} } })).toBe(false);
    const full = vars({ id: 'a', address: { zip: '1000' } }, cel, {
      context: { account: { owner: 'dana' } },
    });
    expect(cel.expr('has(input.address.zip)', 'w', 'bool').eval(full)).toBe(true);
    expect(cel.expr('has(context.account.owner)', 'w', 'bool').eval(full)).toBe(true);
    // The rewrite keeps the written source.
    expect(cel.expr('has(context.account.owner)', 'w', 'bool').source).toBe('has(context.account.owner)');
  });

  it('rejects type errors and syntax errors at compile time, with an offset', () => {
    const typeErr = thrown(() => cel.expr('input.amount > "x"', 'w', 'bool'));
    expect(typeErr).toBeInstanceOf(CelCompileError);
    expect((typeErr as CelCompileError).message).toMatch(/double > string/);
    expect(() => cel.expr('input.amount >', 'w')).toThrow(/syntax error/);
    expect(() => cel.expr('input.nosuch == 1', 'w')).toThrow(CelCompileError); // not read anywhere → not added
    expect(() => cel.expr('input.count', 'w', 'bool')).toThrow(/must be a condition/);
    expect(() => cel.expr('nosuchvar', 'w')).toThrow(/Unknown variable/);
  });

  it('turns run-time errors into validation_failed naming the expression', () => {
    const e = cel.expr('input.amount > 5000.0', 'decide.rules[1].when', 'bool');
    const err = thrown(() => e.eval(vars({ id: 'a' }, cel)));
    expect(err).toBeInstanceOf(BatonError);
    const b = err as BatonError;
    expect(b.code).toBe('validation_failed');
    expect(b.message).toContain('decide.rules[1].when');
    expect(b.message).toContain('input.amount > 5000.0');
    expect(b.context['cel']).toBe('no_such_key');
  });

  it('lists the paths an expression reads', () => {
    const e = cel.expr(
      'has(context.account) && has(context.account.owner) && input.email.split("@")[1] == "x" && decision.owner != "" && context["risk score"] > 1',
      'w',
      'bool',
    );
    expect(e.paths).toEqual([
      'context.account.owner',
      'input.email',
      'decision.owner',
      'context["risk score"]',
    ]);
    expect(cel.expr('input.tags.exists(t, t == input.company)', 'w', 'bool').paths).toEqual([
      'input.tags',
      'input.company',
    ]);
  });
});

describe('open and closed input schemas', () => {
  it('reads undeclared fields of an open schema as dyn', () => {
    const cel = new FlowCel(schema, [['submittedBy']]);
    const e = cel.expr('input.submittedBy', 'requester');
    expect(e.eval(vars({ id: 'a', submittedBy: 'sam' }, cel))).toBe('sam');
    expect(cel.expr('has(input.submittedBy)', 'w', 'bool').eval(vars({ id: 'a' }, cel))).toBe(false);
    // Declared fields keep their types.
    expect(() => cel.expr('input.amount > "x"', 'w')).toThrow(CelCompileError);
  });

  it('rejects undeclared fields when additionalProperties is false', () => {
    const cel = new FlowCel({ ...schema, additionalProperties: false }, [['submittedBy']]);
    expect(() => cel.expr('input.submittedBy', 'w')).toThrow(/No such key/);
  });

  it('treats an input schema without properties as a map', () => {
    const cel = new FlowCel({ type: 'object' });
    expect(cel.expr('input.x > 3', 'w', 'bool').eval(vars({ x: 4 }, cel))).toBe(true);
    expect(cel.expr('has(input.y)', 'w', 'bool').eval(vars({ x: 4 }, cel))).toBe(false);
  });
});

describe('templates', () => {
  const cel = new FlowCel(schema);
  const v = vars({ id: 'a', company: 'Acme', email: 'bo@acme.com', count: 12, amount: 2.5 }, cel, {
    decision: { owner: 'user:dana', note: null },
  });

  it('interpolates CEL values as text', () => {
    expect(cel.template('Call ${input.company} (${input.count} seats, ${input.amount})', 'w').render(v)).toBe(
      'Call Acme (12 seats, 2.5)',
    );
    // A plain path that is absent (or null) renders as "": a computed expression still fails.
    expect(cel.template('${decision.note}|${input.tags}|${context.x.y}', 'w').render(v)).toBe('||');
    expect(() => cel.template('${input.tags.size()}', 'w').render(v)).toThrow(BatonError);
    expect(cel.template('plain', 'w').render(v)).toBe('plain');
    expect(cel.template('${[1, 2]} ${ {"a": 1} }', 'w').render(v)).toBe('[1,2] {"a":1}');
  });

  it('handles braces and quotes inside the expression, and $${ as a literal', () => {
    expect(cel.template("${input.email.split('@')[1]}", 'w').render(v)).toBe('acme.com');
    expect(cel.template('${"}" + input.company + "{"}', 'w').render(v)).toBe('}Acme{');
    expect(cel.template("${'it\\'s } ok'}", 'w').render(v)).toBe("it's } ok");
    expect(cel.template('${ {"k": "v"}.k }!', 'w').render(v)).toBe('v!');
    expect(cel.template('cost $${x} and $5', 'w').render(v)).toBe('cost ${x} and $5');
  });

  it('reports template errors with the offset in the template', () => {
    expect(() => cel.template('a ${input.company', 'w')).toThrow(/unterminated/);
    const e = thrown(() => cel.template('ab ${input.amount > "x"}', 'w'));
    expect(e).toBeInstanceOf(CelCompileError);
    expect((e as CelCompileError).offset).toBeGreaterThanOrEqual(5);
  });

  it('renders params: a lone ${expr} keeps the raw value', () => {
    const errors: unknown[] = [];
    const p = cel.params(
      {
        count: '${input.count}',
        amount: '${input.amount}',
        title: 'Call ${input.company}',
        flag: '${input.count > 10}',
        list: ['${input.company}', 3, { deep: '${input.count * 2}' }],
        fixed: { a: 1, b: ['x'] },
        missing: '${decision.note}',
        absent: '${context.nothing}',
        id: '${handoff.id}',
        n: 5,
      },
      'actions[0].with',
      (path, e) => errors.push([path, e.message]),
    );
    expect(errors).toEqual([]);
    expect(p.render(v)).toEqual({
      count: 12,
      amount: 2.5,
      title: 'Call Acme',
      flag: true,
      list: ['Acme', 3, { deep: 24 }],
      fixed: { a: 1, b: ['x'] },
      missing: null,
      absent: null,
      id: 'h1',
      n: 5,
    });
  });

  it('reports params errors with their inner path', () => {
    const errors: Array<[unknown, string]> = [];
    cel.params({ a: { b: ['ok', '${input.amount > "x"}'] } }, 'with', (path, e) =>
      errors.push([path, e.message]),
    );
    expect(errors).toHaveLength(1);
    expect(errors[0]![0]).toEqual(['a', 'b', 1]);
  });
});

describe('keys named like object members', () => {
  const KEYS = ['constructor', '__proto__', 'prototype', 'toString', 'hasOwnProperty', 'valueOf'];
  const openSchema = { type: 'object', properties: { id: { type: 'string' }, meta: { type: 'object' } } };
  const cel = new FlowCel(openSchema);
  // JSON.parse makes each key an own property, `__proto__` too (as a context source's answer is).
  const tree = (leaf: string): unknown =>
    JSON.parse(`{${KEYS.map((k) => `"${k}": {"${k}": [{"${k}": "${leaf}"}]}`).join(',')}}`);

  it('are read as data at every depth of input and context, and rendered back as own keys', () => {
    const v = vars({ id: 'a', meta: tree('in') }, cel, {
      context: celValue(tree('ctx')),
    });
    for (const k of KEYS) {
      const inInput = `input.meta[${JSON.stringify(k)}][${JSON.stringify(k)}][0][${JSON.stringify(k)}]`;
      const inContext = `context[${JSON.stringify(k)}][${JSON.stringify(k)}][0][${JSON.stringify(k)}]`;
      expect(cel.expr(`${inInput} == "in"`, 'w', 'bool').eval(v)).toBe(true);
      expect(cel.expr(`${inContext} == "ctx"`, 'w', 'bool').eval(v)).toBe(true);
      expect(cel.expr(`${JSON.stringify(k)} in input.meta`, 'w', 'bool').eval(v)).toBe(true);
    }
    expect(cel.expr('size(input.meta) == 6', 'w', 'bool').eval(v)).toBe(true);
    const rendered = cel.params({ copy: '${input.meta}' }, 'with', () => {}).render(v);
    const copy = rendered['copy'] as Record<string, unknown>;
    expect(Object.getPrototypeOf(copy)).toBe(Object.prototype);
    expect(Object.keys(copy)).toEqual(KEYS);
    expect(JSON.stringify(copy)).toBe(JSON.stringify(tree('in')));
  });

  it('read as absent when a declared field of that name is missing', () => {
    const typed = new FlowCel({
      type: 'object',
      properties: { id: { type: 'string' }, toString: { type: 'string' }, constructor: { type: 'string' } },
    });
    const v = vars({ id: 'a' }, typed);
    expect(typed.expr('has(input.toString) || has(input.constructor)', 'w', 'bool').eval(v)).toBe(false);
    const set = vars({ id: 'a', toString: 't', constructor: 'c' }, typed);
    expect(typed.expr('input.toString + input.constructor == "tc"', 'w', 'bool').eval(set)).toBe(true);
  });
});
