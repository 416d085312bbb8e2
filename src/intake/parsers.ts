// Each trigger kind's parser: from the raw payload kept in the dead-letter list back to the
// variables its map reads, so a replay sees what the first delivery saw. Triggers whose payload is
// JSON they wrote themselves (a schedule's slot and row, a vendor's webhook body) share one.
import type { Parsed, RawPayload, TriggerParser } from './port.ts';
import { slackParser } from './slack/parse.ts';
import { parseMail } from './email/parse-mail.ts';
import { payloadJson } from './payload.ts';

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** A schedule's payload: `{slot, row?}`. */
async function scheduleParser(raw: RawPayload): Promise<Parsed> {
  const v = payloadJson(raw);
  if (!isObject(v) || !isObject(v.slot)) throw new Error('a schedule payload holds {slot, row}');
  return { vars: { slot: v.slot, row: isObject(v.row) ? v.row : {} } };
}

/** A vendor webhook's payload: the body of one event; `meta` holds the headers kept. */
async function webhookParser(raw: RawPayload): Promise<Parsed> {
  const body = payloadJson(raw);
  if (!isObject(body)) throw new Error('the webhook body is not a JSON object');
  return { vars: { body, headers: { ...(raw.meta ?? {}) } } };
}

export const PARSERS: ReadonlyMap<string, TriggerParser> = new Map<string, TriggerParser>([
  ['email', parseMail],
  ['schedule', scheduleParser],
  ['slack', slackParser],
  ['webhooks', webhookParser],
]);
