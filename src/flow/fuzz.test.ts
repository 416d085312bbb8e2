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
import { applyDamage, damage } from '../../test/support/damage.ts';
import { checkFlowText, isFlowFileName, parseFlow } from './load.ts';

const EXAMPLES = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../examples/flows');
const flows = readdirSync(EXAMPLES)
  .filter(isFlowFileName)
  .map((f) => ({ file: f, text: readFileSync(path.join(EXAMPLES, f), 'utf8') }));

describe('flow files with random damage', () => {
  it('load or fail with file, line and field; never crash', () => {
    let invalid = 0;
    fc.assert(
      fc.property(fc.constantFrom(...flows), damage, (f, edits) => {
        const text = applyDamage(f.text, edits);
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
    // The machine may be busy (the suite runs files in parallel): the bound is on work, not time.
  }, 120_000);
});
