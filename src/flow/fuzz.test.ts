// A broken flow file never crashes the loader: random edits of the example flows (lines
// dropped, swapped or duplicated, characters changed, values replaced) either load or fail with
// BatonError('flow_invalid') whose every detail names the file, and a line when the problem has
// one. A crash (TypeError, RangeError, a CEL exception) is a bug.
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BatonError } from '../core/errors.ts';
import { checkFlowText, isFlowFileName, parseFlow } from './load.ts';

const EXAMPLES = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../examples/flows');
const flows = readdirSync(EXAMPLES)
  .filter(isFlowFileName)
  .map((f) => ({ file: f, text: readFileSync(path.join(EXAMPLES, f), 'utf8') }));

const junk = fc.constantFrom(
  '',
  ':',
  '- ',
  '{',
  ']',
  '"',
  "'",
  '${',
  '}',
  '&a',
  '*a',
  '!!binary',
  'null',
  '0',
  '-1.5e999',
  'has(',
  'input.',
  '&&',
  '💥',
  '\t',
  '  ',
);

type Edit =
  | { kind: 'drop'; line: number }
  | { kind: 'swap'; line: number; other: number }
  | { kind: 'dup'; line: number }
  | { kind: 'insert'; line: number; at: number; text: string }
  | { kind: 'value'; line: number; text: string };

const edit: fc.Arbitrary<Edit> = fc.oneof(
  fc.record({ kind: fc.constant('drop' as const), line: fc.nat() }),
  fc.record({ kind: fc.constant('swap' as const), line: fc.nat(), other: fc.nat() }),
  fc.record({ kind: fc.constant('dup' as const), line: fc.nat() }),
  fc.record({ kind: fc.constant('insert' as const), line: fc.nat(), at: fc.nat(), text: junk }),
  fc.record({ kind: fc.constant('value' as const), line: fc.nat(), text: fc.oneof(junk, fc.string()) }),
);

function apply(text: string, edits: Edit[]): string {
  const lines = text.split('\n');
  for (const e of edits) {
    if (lines.length === 0) break;
    const i = e.line % lines.length;
    const l = lines[i]!;
    switch (e.kind) {
      case 'drop':
        lines.splice(i, 1);
        break;
      case 'swap': {
        const j = e.other % lines.length;
        [lines[i], lines[j]] = [lines[j]!, l];
        break;
      }
      case 'dup':
        lines.splice(i, 0, l);
        break;
      case 'insert': {
        const at = e.at % (l.length + 1);
        lines[i] = l.slice(0, at) + e.text + l.slice(at);
        break;
      }
      case 'value': {
        const colon = l.indexOf(': ');
        lines[i] = colon >= 0 ? `${l.slice(0, colon + 2)}${e.text}` : e.text;
        break;
      }
    }
  }
  return lines.join('\n');
}

describe('flow files with random damage', () => {
  it('load or fail with file, line and field; never crash', () => {
    let invalid = 0;
    fc.assert(
      fc.property(fc.constantFrom(...flows), fc.array(edit, { minLength: 1, maxLength: 4 }), (f, edits) => {
        const text = apply(f.text, edits);
        const { errors } = checkFlowText(text, f.file);
        for (const d of errors) {
          expect(d.file).toBe(f.file);
          expect(d.message).toEqual(expect.any(String));
          if (d.line !== undefined) expect(d.line).toBeGreaterThanOrEqual(1);
        }
        try {
          parseFlow(text, f.file);
        } catch (e) {
          expect(e).toBeInstanceOf(BatonError);
          expect((e as BatonError).code).toBe('flow_invalid');
          invalid++;
        }
      }),
      { numRuns: 1500 },
    );
    // Most damage is caught (some edits, like a dropped comment line, change nothing).
    expect(invalid).toBeGreaterThan(300);
  });
});
