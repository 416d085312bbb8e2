// Slack as a connector: messages a flow sends on purpose (tell the owner, post to a channel),
// beside the channel that delivers Baton's own notices and approvals (channel.ts). Both use the
// same bot token and Web API base URL (`connectors.slack`). A message Baton posted can be
// deleted by the bot that posted it (chat.delete), so both actions have a rollback; neither has
// an idempotency key in Slack's API, so an unknown outcome waits for a person.
import { z } from 'zod';
import { BatonError } from '../../core/errors.ts';
import { defineAction } from '../../actions/define.ts';
import { slackSettingsSchema } from '../../channels/config.ts';
import { defineConnector, type People } from '../define.ts';
import { slackClient } from './channel.ts';
import { abortable } from '../abortable.ts';
import { httpFailure } from '../failure.ts';
import { WebAPIPlatformError, WebAPIRateLimitedError, type WebClient } from '@slack/web-api';

type Posted = { messages: Array<{ channel: string; ts: string }>; unreachable?: string[] };

/** Slack ids of the people an owner stands for; who has none is reported, not skipped silently. */
function slackIdsOf(people: People, owner: string): { ids: string[]; missing: string[] } {
  const ids: string[] = [];
  const missing: string[] = [];
  for (const id of people.usersOf(owner)) {
    const slack = people.person(id)?.slack;
    if (slack && /^[UW][A-Z0-9]{2,}$/.test(slack)) ids.push(slack);
    else missing.push(id);
  }
  return { ids, missing };
}

/** Slack answered and refused (`ok: false`): nothing was posted. Rate limits may be retried. */
function refused(e: unknown): unknown {
  if (e instanceof WebAPIRateLimitedError)
    return new BatonError(
      'action_failed',
      `Slack answered 429: rate limited (retry after ${e.retryAfter} s)`,
      {
        fault: 'provider',
        retryable: true,
        retryAfterMs: Math.min(e.retryAfter, 600) * 1000,
        context: { status: 429 },
      },
    );
  if (!(e instanceof WebAPIPlatformError)) return e;
  const retryable = e.data.error === 'ratelimited' || e.data.error === 'service_unavailable';
  return new BatonError('action_failed', `Slack refused: ${e.data.error}`, {
    fault: retryable ? 'provider' : 'user',
    retryable,
  });
}

async function post(client: WebClient, channel: string, text: string, signal: AbortSignal) {
  signal.throwIfAborted();
  try {
    const res = await abortable(client.chat.postMessage({ channel, text, unfurl_links: false }), signal);
    return { channel: res.channel ?? channel, ts: res.ts ?? '' };
  } catch (e) {
    throw refused(e);
  }
}

/** Deletes what was posted; a message already gone counts as deleted (a second rollback). */
async function unpost(client: WebClient, posted: Posted, signal: AbortSignal): Promise<{ deleted: number }> {
  let deleted = 0;
  for (const m of posted.messages) {
    try {
      await abortable(client.chat.delete({ channel: m.channel, ts: m.ts }), signal);
      deleted++;
    } catch (e) {
      const code = (e as { data?: { error?: string } }).data?.error;
      if (code !== 'message_not_found') throw refused(e);
    }
  }
  return { deleted };
}

export const slack = defineConnector({
  type: 'slack',
  description: 'Slack: messages to owners and channels (and, as a channel, notices and approvals)',
  settings: slackSettingsSchema,
  secrets: ['token', 'signingSecret'],
  baseUrls: ['apiUrl'],
  open(settings, ctx) {
    const client = slackClient(settings);
    const notifyOwner = defineAction({
      id: 'notify_owner',
      description:
        'Sends a direct message to each person of the owner (the decided owner unless `owner` is given)',
      params: z.object({ text: z.string().min(1).max(40_000), owner: z.string().optional() }),
      risk: 'low',
      idempotent: false,
      // To people of baton.yaml: inside the organisation, so not gated as outbound.
      outbound: false,
      async run(p, c): Promise<Posted> {
        const owner = p.owner || c.owner;
        const { ids, missing } = slackIdsOf(ctx.people, owner);
        if (ids.length === 0)
          throw new BatonError(
            'action_failed',
            `nobody of ${owner} has a Slack id in baton.yaml (people[].slack)`,
            {
              context: { sent: 'no' },
            },
          );
        const messages = [];
        for (const id of ids) messages.push(await post(client, id, p.text, c.signal));
        return { messages, ...(missing.length ? { unreachable: missing } : {}) };
      },
      rollback: (_p, result, c) => unpost(client, result, c.signal),
    });
    const postMessage = defineAction({
      id: 'post_message',
      description: 'Posts a message to a channel (an id such as C0123, or #name)',
      params: z.object({ channel: z.string().min(1), text: z.string().min(1).max(40_000) }),
      risk: 'medium',
      idempotent: false,
      outbound: true,
      async run(p, c): Promise<Posted> {
        return { messages: [await post(client, p.channel, p.text, c.signal)] };
      },
      rollback: (_p, result, c) => unpost(client, result, c.signal),
    });
    return {
      actions: [notifyOwner, postMessage],
      sources: [],
      async check(signal) {
        signal.throwIfAborted();
        // auth.test is documented as a GET; the SDK posts every method, so this one read is
        // made directly, with the same token and base URL.
        const base = settings.apiUrl
          ? settings.apiUrl.endsWith('/')
            ? settings.apiUrl
            : `${settings.apiUrl}/`
          : 'https://slack.com/api/';
        const answer = await fetch(`${base}auth.test`, {
          headers: { authorization: `Bearer ${settings.token}` },
          signal,
        });
        if (!answer.ok)
          throw httpFailure('slack: auth.test', answer.status, answer.headers.get('retry-after'));
        let me: {
          ok?: boolean;
          error?: string;
          user?: string;
          user_id?: string;
          team?: string;
          team_id?: string;
        };
        try {
          me = (await answer.json()) as typeof me;
        } catch {
          throw new BatonError('action_failed', 'slack: auth.test answered something that is not JSON', {
            retryable: true,
          });
        }
        if (me.ok !== true)
          throw new BatonError('action_failed', `Slack refused: ${me.error ?? 'unknown error'}`);
        return `authenticated as ${me.user ?? me.user_id ?? 'the bot'} in ${me.team ?? me.team_id ?? 'the workspace'}`;
      },
    };
  },
});
