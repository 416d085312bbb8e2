// What the listener and the poller need from a mail before it is parsed: its headers (read from
// the header block only, so a huge or broken body costs nothing), its delivery key (the
// Message-ID, or a sha256 of the bytes when it has none) and the raw payload kept for the
// dead-letter list. An oversize mail keeps its headers and the first 64 KB.
import { createHash } from 'node:crypto';
import type { RawPayload } from '../port.ts';

export const KEEP_WHEN_TOO_LARGE = 64 * 1024;

/** The header block: the bytes before the first empty line (all of it when there is none). */
export function headerBlock(raw: Uint8Array): string {
  const b = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
  const crlf = b.indexOf('\r\n\r\n');
  const lf = b.indexOf('\n\n');
  const end = [crlf, lf].filter((i) => i >= 0).sort((x, y) => x - y)[0] ?? b.length;
  return b.subarray(0, Math.min(end, 256 * 1024)).toString('latin1');
}

/** Header name (lower case) → its values, unfolded, in order. */
export function headersOf(raw: Uint8Array): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const unfolded = headerBlock(raw).replace(/\r?\n[ \t]+/g, ' ');
  for (const line of unfolded.split(/\r?\n/)) {
    const m = /^([!-9;-~]+):[ \t]*(.*)$/.exec(line);
    if (!m) continue;
    const name = m[1]!.toLowerCase();
    out.set(name, [...(out.get(name) ?? []), m[2]!.trim()]);
  }
  return out;
}

/** Message ids in a header value: `<a@b> <c@d>`; a bare id is taken whole. */
export function messageIds(value: string | undefined): string[] {
  if (!value) return [];
  const ids = value.match(/<[^<>\s]+>/g);
  if (ids) return ids;
  const bare = value.trim();
  return bare && !/\s/.test(bare) ? [`<${bare}>`] : [];
}

/** The delivery key: the Message-ID, else `sha256:` and the hash of the bytes. */
export function mailKey(raw: Uint8Array, headers = headersOf(raw)): string {
  const id = messageIds(headers.get('message-id')?.[0])[0];
  return id ?? `sha256:${createHash('sha256').update(raw).digest('hex')}`;
}

/** The payload kept for a mail: all of it, or (too large) its headers and the first 64 KB. */
export function mailPayload(
  raw: Uint8Array,
  meta: Record<string, string>,
  o: { bytes?: number; truncated?: boolean } = {},
): RawPayload {
  const keep = o.truncated ? raw.subarray(0, KEEP_WHEN_TOO_LARGE) : raw;
  return {
    contentType: 'message/rfc822',
    encoding: 'base64',
    body: Buffer.from(keep.buffer, keep.byteOffset, keep.byteLength).toString('base64'),
    bytes: o.bytes ?? raw.byteLength,
    ...(o.truncated ? { truncated: true } : {}),
    meta,
  };
}
