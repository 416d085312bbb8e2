// Slack's Events API and message shortcuts as intake. Runs after the request's signature and
// replay check. Finds the flow the channel maps to (trigger.slack), keeps what arrived as the
// raw payload (with the reacted message read from the Web API), and hands it to intake, which
// parses it with the `slack` parser (parse.ts), maps it and starts (or finds) the handoff. Slack
// wants an answer within 3 s: the Web API read is bounded; a reaction whose message could not be
// read in time is kept in the dead-letter list and replayed once the read comes back.
import { createHash } from 'node:crypto';
import { payloadOf } from '../payload.ts';
import { errorText, isBatonError } from '../../core/errors.ts';
import type { SlackTrigger } from '../../core/trigger-schema.ts';
import type { BatonApi } from '../../service/api.ts';
import { errorBody } from '../../server/errors.ts';
import type { Delivery, DeliveryResult, RawPayload } from '../port.ts';
import { messageRef, reactionKey, shortcutKey } from './keys.ts';
import { withDeadline, type SlackReader } from './read.ts';

export interface SlackIntakeDeps {
  api: Pick<BatonApi, 'deliver' | 'getByKey' | 'replayIntake' | 'project'>;
  reader: SlackReader;
  /** How long a Web API read may hold the answer to Slack (default 2 s of Slack's 3). */
  readMs?: number;
  /** Work after the answer (a late read, an ephemeral note). */
  later(work: () => Promise<unknown>): void;
  /** Tells one person in a channel, privately (after the answer). */
  tell?(channel: string, user: string, text: string): void;
}

export type IntakeAnswer =
  | { status: 200; body: { delivery?: Summary; ignored?: string } }
  | { status: 503; body: unknown; retryAfterS: number };

type Summary = {
  outcome: DeliveryResult['outcome'];
  handoffId?: string;
  failureId?: string;
  reason?: string;
};
type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const READ_MS = 2_000;

/** The flow whose `trigger.slack` takes this kind of event in this channel (one flow per channel). */
export function flowForChannel(
  api: Pick<BatonApi, 'project'>,
  channel: string,
  accepts: (t: SlackTrigger) => boolean,
): string | undefined {
  for (const f of api.project.flows.values()) {
    const t = f.def.trigger.slack;
    if (t && t.channels.includes(channel) && accepts(t)) return f.def.id;
  }
  return undefined;
}

/** The emoji a reaction names, without a skin tone (`+1::skin-tone-2` is `+1`). */
const baseEmoji = (name: string): string => name.split('::', 1)[0]!;

const rawOf = (body: Buffer, meta: Record<string, string>): RawPayload =>
  payloadOf(body, 'application/json', meta);

const ignored = (why: string): IntakeAnswer => ({ status: 200, body: { ignored: why } });

/** An `event_callback` envelope (already verified and parsed from `body`). */
export async function onEventCallback(
  deps: SlackIntakeDeps,
  envelope: Obj,
  body: Buffer,
  headers: Record<string, string | string[] | undefined>,
): Promise<IntakeAnswer> {
  const event = envelope.event;
  if (!isObj(event)) return ignored('no event');
  const eventId = str(envelope.event_id) || createHash('sha256').update(body).digest('hex').slice(0, 32);
  const meta: Record<string, string> = { event_id: eventId, event_type: str(event.type) };
  const retry = headers['x-slack-retry-num'];
  if (typeof retry === 'string') meta.retry = retry;

  if (event.type === 'message') {
    // New messages of people only: edits, deletions, joins and bots' posts come with a subtype or bot_id.
    if (event.subtype !== undefined || event.bot_id !== undefined || !str(event.user))
      return ignored('not a message of a person');
    const channel = str(event.channel);
    const ts = str(event.ts);
    const threadTs = str(event.thread_ts);
    if (threadTs && threadTs !== ts) {
      // A reply: a comment on the handoff its thread started, if one did.
      const flow = flowForChannel(deps.api, channel, () => true);
      if (!flow) return ignored('the channel is not mapped to a flow');
      let started: unknown;
      try {
        started = await deps.api.getByKey(flow, `slack:${messageRef(channel, threadTs)}`);
      } catch (e) {
        // Not found: no handoff; anything else (the store) is not acknowledged.
        if (!isBatonError(e) || e.code !== 'not_found') return unavailable(e);
      }
      if (!started) return ignored('a reply in a thread no handoff started');
      return deliver(deps, { flow, trigger: 'slack', key: messageRef(channel, ts), raw: rawOf(body, meta) });
    }
    const flow = flowForChannel(deps.api, channel, (t) => t.on.includes('message'));
    if (!flow) return ignored('the channel is not mapped to a flow');
    await readPermalink(deps, channel, ts, meta);
    return deliver(deps, { flow, trigger: 'slack', key: messageRef(channel, ts), raw: rawOf(body, meta) });
  }

  if (event.type === 'reaction_added') {
    const item = isObj(event.item) ? event.item : {};
    if (item.type !== 'message') return ignored('a reaction on something other than a message');
    const channel = str(item.channel);
    const ts = str(item.ts);
    const emoji = baseEmoji(str(event.reaction));
    const flow = flowForChannel(
      deps.api,
      channel,
      (t) => t.on.includes('reaction') && (t.reaction === undefined || baseEmoji(t.reaction) === emoji),
    );
    if (!flow) return ignored('no flow takes this reaction in this channel');
    const d: Delivery = { flow, trigger: 'slack', key: reactionKey(eventId), raw: rawOf(body, meta) };
    const [read] = await Promise.all([
      withDeadline(deps.reader.message(channel, ts), deps.readMs ?? READ_MS),
      readPermalink(deps, channel, ts, meta),
    ]);
    if (read.done && read.value) {
      meta.message = JSON.stringify(read.value);
      return deliver(deps, d);
    }
    meta.readError = read.done ? 'Slack has no such message' : read.error;
    const answer = await deliver(deps, {
      ...d,
      refused: { reason: 'unparseable', message: `the reacted message could not be read: ${meta.readError}` },
    });
    // Read late: replay the kept delivery (its parser reads the message again, now unbounded).
    const failureId = answer.status === 200 ? answer.body.delivery?.failureId : undefined;
    if (!read.done && failureId)
      deps.later(async () => {
        if ((await read.work.catch(() => undefined)) === undefined) return;
        await deps.api.replayIntake(failureId, 'trigger:slack');
      });
    return answer;
  }
  return ignored(`Baton takes no ${str(event.type) || 'untyped'} events`);
}

/** A message shortcut (`message_action` interaction, already verified). */
export async function onMessageShortcut(
  deps: SlackIntakeDeps,
  payload: Obj,
  body: Buffer,
): Promise<IntakeAnswer> {
  const channel = isObj(payload.channel) ? str(payload.channel.id) : '';
  const user = isObj(payload.user) ? str(payload.user.id) : '';
  const callbackId = str(payload.callback_id);
  const message = isObj(payload.message) ? payload.message : {};
  const ts = str(payload.message_ts) || str(message.ts);
  const flow = flowForChannel(
    deps.api,
    channel,
    (t) => t.on.includes('shortcut') && (t.shortcut === undefined || t.shortcut === callbackId),
  );
  if (!flow) return ignored('no flow takes this shortcut in this channel');
  const meta: Record<string, string> = { callback_id: callbackId };
  if (ts) await readPermalink(deps, channel, ts, meta);
  // The interaction arrives form-encoded; what is kept is its payload, the JSON Slack sent.
  const json = Buffer.from(new URLSearchParams(body.toString('utf8')).get('payload') ?? '{}');
  const answer = await deliver(deps, {
    flow,
    trigger: 'slack',
    key: shortcutKey(callbackId, channel, ts, user),
    raw: rawOf(json, meta),
  });
  // The person who ran the shortcut sees what became of it.
  const d = answer.status === 200 ? answer.body.delivery : undefined;
  if (d && user)
    deps.tell?.(
      channel,
      user,
      d.outcome === 'failed'
        ? `Baton could not take this message (${d.reason}); it is kept for an operator as ${d.failureId}.`
        : d.outcome === 'duplicate'
          ? `Baton already has this message: handoff ${d.handoffId} (${flow}).`
          : `Handed to Baton: handoff ${d.handoffId} (${flow}).`,
    );
  return answer;
}

async function readPermalink(
  deps: SlackIntakeDeps,
  channel: string,
  ts: string,
  meta: Record<string, string>,
) {
  const r = await withDeadline(deps.reader.permalink(channel, ts), deps.readMs ?? READ_MS);
  if (r.done && r.value) meta.permalink = r.value;
}

async function deliver(deps: SlackIntakeDeps, d: Delivery): Promise<IntakeAnswer> {
  let r: DeliveryResult;
  try {
    r = await deps.api.deliver({ ...d, receivedAt: Date.now() });
  } catch (e) {
    return unavailable(e);
  }
  const summary: Summary =
    r.outcome === 'failed'
      ? { outcome: r.outcome, failureId: r.failureId, reason: r.reason }
      : { outcome: r.outcome, handoffId: r.handoffId };
  return { status: 200, body: { delivery: summary } };
}

/** The store failed: not acknowledged, so Slack retries (its retry finds the same key). */
function unavailable(e: unknown): IntakeAnswer {
  process.emitWarning(`baton: Slack intake could not be stored: ${errorText(e)}`);
  return {
    status: 503,
    retryAfterS: 5,
    body: errorBody('store_error', 'The event could not be stored; retry'),
  };
}
