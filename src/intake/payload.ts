// A raw payload as kept in the dead-letter list: written by the triggers, read back by the
// parsers (a replay) and by the API's preview. Bytes that are valid UTF-8 are kept as text, any
// others as base64, so what is kept is always exactly what arrived.
import type { RawPayload } from '../store/intake-store.ts';

/** What arrived, as a payload of this media type. */
export function payloadOf(bytes: Uint8Array, contentType: string, meta?: Record<string, string>): RawPayload {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const text = buf.toString('utf8');
  const utf8 = Buffer.from(text).equals(buf);
  return {
    contentType,
    encoding: utf8 ? 'utf8' : 'base64',
    body: utf8 ? text : buf.toString('base64'),
    bytes: buf.length,
    ...(meta ? { meta } : {}),
  };
}

/** A value a trigger made itself (a schedule's slot and row), as JSON. */
export const jsonPayload = (value: unknown, meta?: Record<string, string>): RawPayload =>
  payloadOf(Buffer.from(JSON.stringify(value)), 'application/json', meta);

/** The bytes as they arrived. */
export const payloadBytes = (raw: RawPayload): Buffer =>
  raw.encoding === 'base64' ? Buffer.from(raw.body, 'base64') : Buffer.from(raw.body, 'utf8');

/** The payload parsed as JSON; `what` names it in the error. */
export function payloadJson(raw: RawPayload, what = 'the payload'): unknown {
  try {
    return JSON.parse(payloadBytes(raw).toString('utf8')) as unknown;
  } catch (e) {
    throw new Error(`${what} is not JSON: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
}
