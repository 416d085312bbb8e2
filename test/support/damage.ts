// Random damage to a YAML text for fuzz tests: lines dropped, swapped or duplicated, junk
// inserted, values replaced.
import fc from 'fast-check';

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

export type Edit =
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

/** Applies the edits in order (line numbers wrap around the current text). */
export function applyDamage(text: string, edits: readonly Edit[]): string {
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

/** One to four edits. */
export const damage = fc.array(edit, { minLength: 1, maxLength: 4 });
