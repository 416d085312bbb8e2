// The padding a flow file uses inside flow collections. The yaml package pads maps and lists
// alike (`{ a: 1 }`, `[ a, b ]`); many files (Prettier's style, Baton's examples) pad maps and
// not lists. Edited lines are written in the file's own style so a diff shows only the edit.

export interface Padding {
  maps: boolean;
  lists: boolean;
}

const count = (text: string, re: RegExp): number => text.match(re)?.length ?? 0;

/** The style most of the file's flow collections are written in (padded when there are none). */
export function paddingOf(text: string): Padding {
  return {
    maps: count(text, /(?<!\$)\{ [^}\s]/g) >= count(text, /(?<!\$)\{[^ }\s]/g),
    lists: count(text, /\[ [^\]\s]/g) > count(text, /\[[^ \]\s]/g),
  };
}

/** Characters after which `[` or a quote starts a YAML token (not a plain scalar's own text). */
const TOKEN_START = '[{,:-?';

/**
 * The text with its flow lists padded or not. A line-by-line scan that skips quoted scalars and
 * comments; a `[` inside plain text is left alone. Callers check the meaning did not change.
 */
export function padLists(text: string, pad: boolean): string {
  return text
    .split('\n')
    .map((line) => padLine(line, pad))
    .join('\n');
}

function padLine(line: string, pad: boolean): string {
  let out = '';
  let quote: string | null = null;
  let prev = ''; // the last character that is not a space
  let depth = 0;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quote) {
      out += ch;
      if (quote === '"' && ch === '\\') out += line[++i] ?? '';
      else if (ch === quote) {
        if (quote === "'" && line[i + 1] === "'") out += line[++i];
        else quote = null;
      }
      prev = ch;
      continue;
    }
    if (ch === '#' && (i === 0 || line[i - 1] === ' ')) return out + line.slice(i);
    const atToken = prev === '' || TOKEN_START.includes(prev);
    if ((ch === "'" || ch === '"') && atToken) {
      quote = ch;
    } else if (ch === '[' && atToken) {
      depth++;
      out += ch;
      prev = ch;
      while (line[i + 1] === ' ') i++;
      if (pad && line[i + 1] !== ']') out += ' ';
      continue;
    } else if (ch === ']' && depth > 0) {
      depth--;
      out = out.replace(/ +$/, '');
      if (pad && !out.endsWith('[')) out += ' ';
    }
    out += ch;
    if (ch !== ' ') prev = ch;
  }
  return out;
}
