// A broken baton.yaml never crashes the loader: random damage to the example project file either
// loads or fails with a BatonError whose details name the file; a crash is a bug.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { BatonError } from '../core/errors.ts';
import { applyDamage, damage } from '../../test/support/damage.ts';
import { tempProject } from '../../test/support/project.ts';
import { loadProject } from './load.ts';

const project = tempProject();
const file = path.join(project.dir, 'baton.yaml');
const original = readFileSync(file, 'utf8');
afterAll(() => project.cleanup());

describe('baton.yaml with random damage', () => {
  it('loads or fails with the file named; never crashes', async () => {
    let invalid = 0;
    await fc.assert(
      fc.asyncProperty(damage, async (edits) => {
        writeFileSync(file, applyDamage(original, edits));
        try {
          await loadProject(project.dir, { env: {} });
        } catch (e) {
          expect(e).toBeInstanceOf(BatonError);
          const err = e as BatonError;
          expect(['project_invalid', 'flow_invalid']).toContain(err.code);
          expect(err.details.length).toBeGreaterThan(0);
          for (const d of err.details) expect(d.file).toEqual(expect.any(String));
          invalid++;
        }
      }),
      { numRuns: 400 },
    );
    expect(invalid).toBeGreaterThan(100);
    // The machine may be busy (the suite runs files in parallel): the bound is on work, not time.
  }, 120_000);
});
