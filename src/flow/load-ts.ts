// Flows written in TypeScript: `flows/NAME.flow.ts` (or .flow.js / .flow.mjs) whose default
// export is `defineFlow({...})`. The value is turned into its canonical JSON text (keys sorted,
// two-space indent) and checked exactly like a YAML flow file: the same schema, the same CEL and
// owner checks, and the same content hash, so a handoff pins a TypeScript flow's version as it
// pins a YAML one, and the published version stores that text. Problems name the file and the
// field; their lines would point into the generated text, so they are left out.
import { canonicalJson } from './canonical.ts';
import type { FlowCheckResult } from './compile.ts';
import { jsonProblems } from '../core/json-safe.ts';
import { isBatonError, type ErrorDetail } from '../core/errors.ts';
import { importProjectModule } from '../project/modules.ts';

/** Loads one TypeScript flow module and checks its default export with `checkText`. */
export async function checkTsFlowFile(
  file: string,
  checkText: (text: string, file: string) => FlowCheckResult,
  projectDir?: string,
): Promise<FlowCheckResult> {
  let mod: Record<string, unknown>;
  try {
    mod = await importProjectModule(file, projectDir, { fresh: true });
  } catch (e) {
    if (isBatonError(e))
      return { errors: e.details.length ? e.details : [{ file, path: '', message: e.message }] };
    throw e;
  }
  const value = mod.default;
  if (value === undefined)
    return {
      errors: [
        { file, path: '', message: 'exports no flow: write `export default defineFlow({ id: …, … })`' },
      ],
    };
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    return {
      errors: [{ file, path: '', message: 'the default export must be a flow object (defineFlow({…}))' }],
    };
  const unfit = jsonProblems(value, '').map((d): ErrorDetail => ({
    file,
    path: d.path.replace(/^\./, ''),
    message: `${d.message}: a flow is plain data`,
  }));
  if (unfit.length > 0) return { errors: unfit };
  const text = `${JSON.stringify(JSON.parse(canonicalJson(value)), null, 2)}\n`;
  const result = checkText(text, file);
  return {
    ...(result.flow ? { flow: result.flow } : {}),
    errors: result.errors.map(({ line: _line, column: _column, ...d }) => ({ ...d, file })),
  };
}
