// Bodies and answers of the flow editor's routes: version history, drafts, eval runs, saves.
import { z } from 'zod';

const iso = z.string().describe('ISO 8601 time');
const version = z.string().describe('Content hash of a flow definition');

export const problem = z
  .object({
    path: z.string().describe('The field, e.g. decide.rules[1].when'),
    message: z.string(),
    file: z.string().optional().describe('Relative to the project'),
    line: z.number().optional().describe("1-based, in the draft's text"),
    column: z.number().optional(),
  })
  .catchall(z.unknown());

export const flowVersions = z.object({
  items: z.array(
    z.object({
      version,
      name: z.string(),
      publishedAt: iso,
      handoffs: z.number().describe('Handoffs that pinned this version (they run under it to the end)'),
      live: z.boolean().describe('The version new handoffs pin now'),
    }),
  ),
});

export const versionParams = z.object({ flow: z.string(), version: z.string() });

export const flowVersionAnswer = z.object({
  version,
  name: z.string(),
  publishedAt: iso,
  live: z.boolean(),
  source: z.string().describe("The flow file's text as this version was published"),
  diff: z
    .string()
    .describe("Unified diff from this version's text to the live version's (empty for the live one)"),
});

const pathSeg = z.union([z.string().max(200), z.int().min(0).max(100_000)]);
const changePath = z
  .array(pathSeg)
  .min(1)
  .max(32)
  .describe('Keys and list indexes from the top of the flow file, e.g. ["decide", "rules", 1, "when"]');
/** Present in the body: JSON has no undefined, and a set or insert of nothing is a mistake. */
const value = z.unknown().refine((v) => v !== undefined, 'a value is needed');

export const flowChange = z.discriminatedUnion('op', [
  z.strictObject({ op: z.literal('set'), path: changePath, value }).describe('Set the value at path'),
  z.strictObject({ op: z.literal('delete'), path: changePath }).describe('Remove the key or list item'),
  z
    .strictObject({ op: z.literal('insert'), path: changePath, value })
    .describe('Insert into a list: path ends with the index the value takes'),
  z
    .strictObject({ op: z.literal('move'), path: changePath, to: z.int().min(0) })
    .describe('Move a list item, with its comments, to index `to` of the same list'),
]);

const yamlText = z
  .string()
  .max(512 * 1024)
  .describe("The flow file's whole text");

export const draftBody = z
  .strictObject({
    changes: z
      .array(flowChange)
      .max(500)
      .optional()
      .describe("Edits applied in order to the file's text (comments and layout kept)"),
    yaml: yamlText.optional(),
  })
  .refine((b) => (b.changes === undefined) !== (b.yaml === undefined), {
    message: 'give either `changes` (edits of the file) or `yaml` (the whole text), not both',
    path: ['changes'],
  });

export const draftAnswer = z.object({
  flow: z.string(),
  baseVersion: version.describe('The live version the draft starts from: send it back as expectedVersion'),
  yaml: z.string().describe('The flow file with the draft applied'),
  valid: z.boolean().describe('Whether the draft loads as the server would load the file'),
  version: version.optional().describe("The draft's version when it loads"),
  changed: z.boolean().describe('Whether the draft differs from the file'),
  errors: z.array(problem).describe('What keeps it from loading, each with line and field of `yaml`'),
  diff: z.string().describe('Unified diff from the file on disk to `yaml` (empty when equal)'),
});

export const evalBody = z.strictObject({
  yaml: yamlText
    .optional()
    .describe('A draft of the flow file to run the cases on (admin); default the live flow'),
});

export const evalAnswer = z.object({
  flow: z.string(),
  version: version.describe('The version the cases ran on (a draft: its own)'),
  draft: z.boolean(),
  cases: z.array(
    z.object({
      name: z.string(),
      passed: z.boolean(),
      failures: z
        .array(z.string())
        .describe('One line per mismatch: what was expected and what the run gave'),
    }),
  ),
  passed: z.number(),
  failed: z.number(),
  durationMs: z.number(),
});

export const saveBody = z.strictObject({
  yaml: yamlText,
  expectedVersion: version.describe("The live version the draft started from (a draft's baseVersion)"),
});

export const saveAnswer = z.object({
  id: z.string(),
  version: version.describe('The live version after the save'),
  previous: version,
  file: z.string(),
  change: z.enum(['added', 'updated', 'unchanged', 'removed', 'kept']),
});
