// A channel reaches people outside Baton (Slack, email). Adapters live under src/connectors/;
// the dispatcher (dispatcher.ts) decides who gets what and records every delivery.
import type { ApprovalRecord, HandoffRecord } from '../core/types.ts';
import type { ChannelName, DeliveryRecord, OutboxRecord } from '../core/notices.ts';
import type { Person } from '../core/project-schema.ts';
import type { NoticeMessage } from './message.ts';

export interface DeliveryRequest {
  notice: OutboxRecord;
  person: Person;
  /** The person's address on this channel (a Slack user id, an email address). */
  address: string;
  message: NoticeMessage;
  handoff: HandoffRecord;
  approval?: ApprovalRecord;
  /** Stable per notice, channel and person (an email's Message-ID is built from it). */
  key: string;
}

export interface Channel {
  readonly name: ChannelName;
  /** The person's address on this channel, or undefined when it cannot reach them. */
  addressOf(person: Person): string | undefined;
  /** Sends; resolves to where it went (stored with the delivery, never a secret). */
  deliver(request: DeliveryRequest): Promise<Record<string, string>>;
  /** Shows a closed approval where it was delivered (Slack updates its message). */
  showClosed?(delivery: DeliveryRecord, approval: ApprovalRecord, message: NoticeMessage): Promise<void>;
}

/** A failure that no retry will fix (an unknown channel, a refused address). */
export class PermanentDeliveryError extends Error {}
