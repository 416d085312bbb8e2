// Slack's requests: interactions (button clicks, modal submissions, message shortcuts) and the
// Events API (messages and reactions in mapped channels start handoffs, src/intake/slack/). The
// signature is checked on the raw bytes before the body is parsed; a request seen before (its
// signature) is a replay and is refused (Slack signs its own retries anew: they dedupe by key).
// Slack is on when its settings are (connectors.slack, or SLACK_BOT_TOKEN and
// SLACK_SIGNING_SECRET in the environment).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { BatonError, errorText } from '../../core/errors.ts';
import type { BatonApi } from '../../service/api.ts';
import { SlackChannel } from '../../connectors/slack/channel.ts';
import { handleInteraction, type SlackAnswer } from '../../connectors/slack/interactions.ts';
import { SLACK_WINDOW_S, verifySlackSignature } from '../../connectors/slack/signature.ts';
import { parseJsonBytes } from '../body.ts';
import {
  onEventCallback,
  onMessageShortcut,
  type IntakeAnswer,
  type SlackIntakeDeps,
} from '../../intake/slack/events.ts';
import { slackReader } from '../../intake/slack/read.ts';
import { errorBody } from '../errors.ts';

export const SLACK_INTERACTIONS = '/v1/intake/slack/interactions';
export const SLACK_EVENTS = '/v1/intake/slack/events';

export function slackRoutes(baton: BatonApi) {
  const settings = baton.project.channels.slack;
  const slack = settings ? new SlackChannel(settings) : undefined;
  const later = (work: () => Promise<unknown>) =>
    void work().catch((e: unknown) => process.emitWarning(`baton: Slack call failed: ${errorText(e)}`));
  const intake: SlackIntakeDeps | undefined = slack
    ? {
        api: baton,
        reader: slackReader(slack.client),
        later,
        tell: (channel, user, text) => later(() => slack.client.chat.postEphemeral({ channel, user, text })),
      }
    : undefined;
  return async (scope: FastifyInstance): Promise<void> => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

    const verified = async (req: FastifyRequest, reply: FastifyReply): Promise<Buffer | undefined> => {
      if (!settings) {
        void reply
          .code(404)
          .send(errorBody('not_found', 'Slack is not configured (connectors.slack in baton.yaml)'));
        return undefined;
      }
      const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      const v = verifySlackSignature(settings.signingSecret, req.headers, raw);
      if (!v.ok) {
        void reply.code(401).send(errorBody('unauthorized', `Slack request refused: ${v.reason}`));
        return undefined;
      }
      const now = Date.now();
      let fresh: boolean;
      try {
        fresh = await baton.rememberRequest(`slack:${v.signature}`, now, now - 2 * SLACK_WINDOW_S * 1000);
      } catch (e) {
        // Not acknowledged: Slack retries what it sent (signed anew).
        process.emitWarning(`baton: a Slack request could not be checked for replay: ${errorText(e)}`);
        void reply
          .code(503)
          .header('retry-after', '5')
          .send(errorBody('store_error', 'The request could not be stored; retry'));
        return undefined;
      }
      if (!fresh) {
        void reply
          .code(401)
          .send(errorBody('unauthorized', 'Slack request refused: it was seen before (a replay)'));
        return undefined;
      }
      return raw;
    };

    scope.post(SLACK_INTERACTIONS, async (req, reply) => {
      const raw = await verified(req, reply);
      if (raw === undefined) return reply;
      const form = new URLSearchParams(raw.toString('utf8'));
      let payload: unknown;
      try {
        payload = JSON.parse(form.get('payload') ?? '');
      } catch {
        return reply.code(400).send(errorBody('invalid_json', 'The payload form field is not JSON'));
      }
      if ((payload as { type?: unknown } | null)?.type === 'message_action')
        return answer(reply, await onMessageShortcut(intake!, payload as Record<string, unknown>, raw));
      const answered: SlackAnswer = await handleInteraction(
        {
          api: baton,
          slack: slack!,
          people: baton.project.def.people,
          later,
        },
        payload,
      );
      return reply.code(answered.status).send(answered.body);
    });

    scope.post(SLACK_EVENTS, async (req, reply) => {
      const raw = await verified(req, reply);
      if (raw === undefined) return reply;
      let body: { type?: unknown; challenge?: unknown } | undefined;
      try {
        body = parseJsonBytes(raw) as typeof body;
      } catch (e) {
        if (!(e instanceof BatonError)) throw e;
        return reply.code(e.status).send(e.toJSON());
      }
      if (body?.type === 'url_verification' && typeof body.challenge === 'string') {
        return reply.code(200).send({ challenge: body.challenge });
      }
      if (body?.type !== 'event_callback') return reply.code(200).send({ ignored: 'not an event_callback' });
      return answer(reply, await onEventCallback(intake!, body, raw, req.headers));
    });
  };
}

function answer(reply: FastifyReply, a: IntakeAnswer): FastifyReply {
  if (a.status === 503) void reply.header('retry-after', String(a.retryAfterS));
  return reply.code(a.status).send(a.body);
}
