// The `slack` parser: from what Slack sent (kept as it arrived) to the variables a map reads.
// The raw body is the Events API envelope (a message, a reaction) or the interaction payload (a
// message shortcut); for a reaction, the reacted message Baton read from the Web API is kept
// beside it in `meta.message`, so a replay sees the same text without asking Slack again.
import type { ParseContext, Parsed, RawPayload } from '../port.ts';
import { payloadJson } from '../payload.ts';
import { messageRef } from './keys.ts';

export type SlackKind = 'message' | 'reaction' | 'shortcut';

/** What a map reads as `slack` ('' where Slack gave nothing, e.g. `reaction` of a message). */
export interface SlackVars {
  kind: SlackKind;
  channel: string;
  user: string;
  /** The Baton person whose `slack:` id is `user`, or ''. */
  person: string;
  text: string;
  ts: string;
  threadTs: string;
  reaction: string;
  permalink: string;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string => (typeof v === 'string' ? v : '');

export async function slackParser(raw: RawPayload, ctx: ParseContext): Promise<Parsed> {
  const v = payloadJson(raw, 'the Slack payload');
  if (!isObj(v)) throw new Error('the Slack payload is not a JSON object');
  const person = (user: string) => (user ? (ctx.people.personBySlack(user)?.id ?? '') : '');
  const permalink = str(raw.meta?.permalink);

  if (v.type === 'message_action') {
    const channel = isObj(v.channel) ? str(v.channel.id) : '';
    const user = isObj(v.user) ? str(v.user.id) : '';
    const message = isObj(v.message) ? v.message : {};
    if (!channel || !user) throw new Error('a message_action payload without channel.id or user.id');
    const slack: SlackVars = {
      kind: 'shortcut',
      channel,
      user,
      person: person(user),
      text: str(message.text),
      ts: str(v.message_ts) || str(message.ts),
      threadTs: str(message.thread_ts),
      reaction: '',
      permalink,
    };
    return { vars: { slack, event: v } };
  }

  if (v.type !== 'event_callback' || !isObj(v.event))
    throw new Error(`a Slack payload of type ${JSON.stringify(v.type)} (expected event_callback)`);
  const event = v.event;
  if (event.type === 'message') {
    const channel = str(event.channel);
    const user = str(event.user);
    const ts = str(event.ts);
    if (!channel || !user || !ts) throw new Error('a message event without channel, user or ts');
    const threadTs = str(event.thread_ts);
    const slack: SlackVars = {
      kind: 'message',
      channel,
      user,
      person: person(user),
      text: str(event.text),
      ts,
      threadTs,
      reaction: '',
      permalink,
    };
    const parsed: Parsed = { vars: { slack, event } };
    // A reply in a thread: it comments on the handoff its thread's first message started.
    if (threadTs && threadTs !== ts) {
      parsed.thread = [messageRef(channel, threadTs)];
      parsed.comment = { text: slack.text, from: user, ...(slack.person ? { person: slack.person } : {}) };
    }
    return parsed;
  }
  if (event.type === 'reaction_added') {
    const item = isObj(event.item) ? event.item : {};
    const channel = str(item.channel);
    const user = str(event.user);
    const ts = str(item.ts);
    if (!channel || !user || !ts)
      throw new Error('a reaction_added event without item.channel, item.ts or user');
    // Read when it arrived; a replay of one that could not be read then reads it now.
    const read: Obj | undefined = raw.meta?.message
      ? (JSON.parse(raw.meta.message) as Obj)
      : ctx.slack
        ? ((await ctx.slack.message(channel, ts)) as Obj | undefined)
        : undefined;
    if (!read)
      throw new Error(
        `the reacted message ${channel}/${ts} could not be read from Slack (${raw.meta?.readError ?? 'Slack is not configured'})`,
      );
    const slack: SlackVars = {
      kind: 'reaction',
      channel,
      user,
      person: person(user),
      text: str(read.text),
      ts,
      threadTs: str(read.thread_ts),
      reaction: str(event.reaction),
      permalink,
    };
    return { vars: { slack, event } };
  }
  throw new Error(`a Slack event of type ${JSON.stringify(event.type)} (expected message or reaction_added)`);
}
