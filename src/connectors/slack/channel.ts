// Slack through the Web API (`@slack/web-api`): approvals and handed-off work arrive as a DM
// from the app with buttons; once an approval closes, every message that asked is updated.
import { LogLevel, WebAPIPlatformError, WebClient } from '@slack/web-api';
import type { Person } from '../../core/project-schema.ts';
import type { ApprovalRecord } from '../../core/types.ts';
import type { DeliveryRecord } from '../../core/notices.ts';
import type { SlackSettings } from '../../channels/config.ts';
import { closedLine, type NoticeMessage } from '../../channels/message.ts';
import { PermanentDeliveryError, type Channel, type DeliveryRequest } from '../../channels/port.ts';
import { noticeBlocks, settledBlocks } from './blocks.ts';

/** Slack answers that no retry will change. */
const PERMANENT = new Set([
  'channel_not_found',
  'user_not_found',
  'not_in_channel',
  'is_archived',
  'account_inactive',
  'invalid_auth',
  'not_authed',
  'token_revoked',
  'message_not_found',
  'cant_update_message',
  'edit_window_closed',
  'invalid_blocks',
  'msg_too_long',
]);

export function slackClient(s: SlackSettings): WebClient {
  return new WebClient(s.token, {
    ...(s.apiUrl ? { slackApiUrl: s.apiUrl.endsWith('/') ? s.apiUrl : `${s.apiUrl}/` } : {}),
    // The outbox retries with its own backoff; a call must not wait out Slack's rate limits here.
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
    timeout: 10_000,
    logLevel: LogLevel.ERROR,
  });
}

/** Classifies a Web API failure: permanent ones are not retried. */
export function slackFailure(e: unknown): Error {
  if (e instanceof WebAPIPlatformError && PERMANENT.has(e.data.error)) {
    return new PermanentDeliveryError(`Slack refused: ${e.data.error}`);
  }
  return e instanceof Error ? e : new Error(String(e));
}

export class SlackChannel implements Channel {
  readonly name = 'slack' as const;
  readonly client: WebClient;

  constructor(settings: SlackSettings) {
    this.client = slackClient(settings);
  }

  addressOf(person: Person): string | undefined {
    return person.slack && /^[UW][A-Z0-9]{2,}$/.test(person.slack) ? person.slack : undefined;
  }

  async deliver(r: DeliveryRequest): Promise<Record<string, string>> {
    try {
      const res = await this.client.chat.postMessage({
        channel: r.address,
        text: r.message.subject,
        blocks: noticeBlocks(r.message, r.approval?.kind === 'decision') as never,
        unfurl_links: false,
      });
      return { channel: res.channel ?? r.address, ts: res.ts ?? '' };
    } catch (e) {
      throw slackFailure(e);
    }
  }

  async showClosed(d: DeliveryRecord, approval: ApprovalRecord, message: NoticeMessage): Promise<void> {
    if (!d.ref?.channel || !d.ref.ts) return;
    await this.settle(d.ref.channel, d.ref.ts, message, closedLine(approval) ?? approval.state);
  }

  /** Replaces a message's buttons with its outcome. */
  async settle(channel: string, ts: string, message: NoticeMessage, outcome: string): Promise<void> {
    try {
      await this.client.chat.update({
        channel,
        ts,
        text: `${message.subject}: ${outcome}`,
        blocks: settledBlocks(message, outcome) as never,
      });
    } catch (e) {
      throw slackFailure(e);
    }
  }
}
