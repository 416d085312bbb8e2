// Reading the message a reaction or shortcut is about, through the Slack channel's Web API
// client: `conversations.history` for a message in the channel, `conversations.replies` for one
// inside a thread, and `chat.getPermalink`. The Events API wants its answer within 3 s, so a
// read there is bounded (`withDeadline`); a replay reads without that bound.
import type { WebClient } from '@slack/web-api';
import { slackClient } from '../../connectors/slack/channel.ts';
import type { SlackSettings } from '../../channels/config.ts';

export interface ReadMessage {
  text: string;
  user?: string;
  ts: string;
  thread_ts?: string;
}

export interface SlackReader {
  /** The message at `ts` in `channel` (top level or in a thread), or undefined when Slack has none. */
  message(channel: string, ts: string): Promise<ReadMessage | undefined>;
  /** The message's permalink, or '' when Slack does not give one. */
  permalink(channel: string, ts: string): Promise<string>;
}

type Msg = { ts?: string; text?: string; user?: string; thread_ts?: string };
const pick = (m: Msg | undefined, ts: string): ReadMessage | undefined =>
  m && m.ts === ts
    ? {
        text: m.text ?? '',
        ts,
        ...(m.user ? { user: m.user } : {}),
        ...(m.thread_ts ? { thread_ts: m.thread_ts } : {}),
      }
    : undefined;

export function slackReader(client: WebClient): SlackReader {
  return {
    async message(channel, ts) {
      const bound = { channel, latest: ts, oldest: ts, inclusive: true, limit: 1 };
      const top = await client.conversations.history(bound);
      const found = pick(top.messages?.[0], ts);
      if (found) return found;
      // Not in the channel's history: a reply inside a thread (replies takes any ts of the thread).
      const thread = await client.conversations.replies({ ...bound, ts });
      return pick(
        thread.messages?.find((m) => m.ts === ts),
        ts,
      );
    },
    async permalink(channel, ts) {
      const r = await client.chat.getPermalink({ channel, message_ts: ts });
      return r.permalink ?? '';
    },
  };
}

export const readerOf = (settings: SlackSettings): SlackReader => slackReader(slackClient(settings));

/** The work's answer, or `late` once `ms` passed (the work goes on; its promise is returned too). */
export async function withDeadline<T>(
  work: Promise<T>,
  ms: number,
): Promise<{ done: true; value: T } | { done: false; error: string; work: Promise<T> }> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((r) => (timer = setTimeout(() => r('late'), ms)));
  try {
    const v = await Promise.race([work.then((value) => ({ value })), late]);
    if (v === 'late') return { done: false, error: `Slack did not answer within ${ms} ms`, work };
    return { done: true, value: v.value };
  } catch (e) {
    return { done: false, error: `Slack: ${e instanceof Error ? e.message : String(e)}`, work };
  } finally {
    clearTimeout(timer);
  }
}
