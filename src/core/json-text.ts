// Text a JSON body may not carry: bytes that are not UTF-8 (a lenient decoder turns them into
// U+FFFD and the damage is stored), NUL characters, and `\u` escapes of lone surrogates (they
// decode to strings no other system can encode). Each is refused with its byte position.
import { isUtf8 } from 'node:buffer';

/** The byte offset of the first invalid UTF-8 sequence, or -1 when the bytes are UTF-8. */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  if (isUtf8(bytes)) return -1;
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    if (b < 0x80) {
      i++;
      continue;
    }
    // Lead byte: how many continuation bytes follow, and the range the first of them must be in
    // (which rules out overlong forms, UTF-16 surrogates and code points past U+10FFFF).
    let need: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) need = 1;
    else if (b >= 0xe0 && b <= 0xef) {
      need = 2;
      if (b === 0xe0) lo = 0xa0;
      if (b === 0xed) hi = 0x9f;
    } else if (b >= 0xf0 && b <= 0xf4) {
      need = 3;
      if (b === 0xf0) lo = 0x90;
      if (b === 0xf4) hi = 0x8f;
    } else return i;
    for (let k = 1; k <= need; k++) {
      const c = bytes[i + k];
      if (c === undefined || c < (k === 1 ? lo : 0x80) || c > (k === 1 ? hi : 0xbf)) return i;
    }
    i += need + 1;
  }
  return -1;
}

const isHigh = (u: number): boolean => u >= 0xd800 && u <= 0xdbff;
const isLow = (u: number): boolean => u >= 0xdc00 && u <= 0xdfff;

function escapedUnit(text: string, at: number): number | undefined {
  if (text.charCodeAt(at) !== 92 || text[at + 1] !== 'u') return undefined;
  const hex = text.slice(at + 2, at + 6);
  return /^[0-9a-fA-F]{4}$/.test(hex) ? Number.parseInt(hex, 16) : undefined;
}

export interface TextProblem {
  /** Character index in the text. */
  index: number;
  what: string;
}

/**
 * The first NUL or lone-surrogate escape of a JSON text (valid JSON has backslashes only in
 * strings, so no string tracking is needed), or undefined.
 */
export function badJsonCharacter(text: string): TextProblem | undefined {
  const nul = text.indexOf('\0');
  // Escapes are rare: scan for them only when the text has a `\u` at all.
  const firstEscape = text.indexOf('\\u');
  const found: TextProblem | undefined = nul >= 0 ? { index: nul, what: 'a NUL character' } : undefined;
  if (firstEscape < 0) return found;
  const end = found ? found.index : text.length;
  for (let i = firstEscape; i < end; i++) {
    if (text.charCodeAt(i) !== 92) continue;
    const unit = escapedUnit(text, i);
    if (unit === undefined) {
      i++; // another escape: skip the escaped character (it may be a backslash)
      continue;
    }
    if (unit === 0) return { index: i, what: 'a NUL character (\\u0000)' };
    if (isHigh(unit)) {
      const next = escapedUnit(text, i + 6);
      if (next !== undefined && isLow(next)) {
        i += 11;
        continue;
      }
      return { index: i, what: 'a lone surrogate escape' };
    }
    if (isLow(unit)) return { index: i, what: 'a lone surrogate escape' };
    i += 5;
  }
  return found;
}

/** The byte offset, in UTF-8, of a character index. */
export const byteOffset = (text: string, index: number): number => Buffer.byteLength(text.slice(0, index));
