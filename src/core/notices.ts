// Reaching people outside Baton (Slack, email). A step that notifies someone writes a notice to
// the outbox in the same transaction as the step; workers deliver it afterwards, once per person
// and channel, and record each delivery. Links in email are single-use tokens, stored hashed.

/** What a notice is about; `approval_closed` asks channels to update what they showed. */
export type NoticeKind =
  'approval' | 'handoff' | 'reminder' | 'escalation' | 'notification' | 'approval_closed';

/** A notice as a step writes it (the engine fills in id, handoff and time). */
export interface Notice {
  kind: NoticeKind;
  /** Who to reach: user:, team: or role: (empty for approval_closed). */
  owner: string;
  text: string;
  approvalId?: string;
}

/** An outbox row: one notice waiting to be (or already) delivered. */
export interface OutboxRecord extends Notice {
  id: string;
  handoffId: string;
  createdAt: number;
  state: 'pending' | 'done' | 'failed';
  attempts: number;
  /** When a worker should (next) try; null once done or failed. */
  nextAt: number | null;
  leaseOwner?: string;
  leaseUntil?: number;
  error?: string;
}

export type ChannelName = 'slack' | 'email';

/**
 * One notice to one person through one channel. `sending` is written before the call and
 * `sent` after it: a delivery found `sending` after a crash may or may not have gone out.
 */
export interface DeliveryRecord {
  outboxId: string;
  channel: ChannelName;
  /** A person id of baton.yaml. */
  recipient: string;
  approvalId?: string;
  state: 'sending' | 'sent' | 'failed';
  attempts: number;
  /** Where it went: Slack `{channel, ts}`, email `{messageId}` (never a secret). */
  ref?: Record<string, string>;
  error?: string;
  updatedAt: number;
}

/** A link token of an email: only its sha256 is stored. */
export interface LinkRecord {
  hash: string;
  /** approve: decide an approval; accept: accept a handed-off handoff. */
  kind: 'approve' | 'accept';
  /** The approval id (approve) or the handoff id (accept). */
  subject: string;
  handoffId: string;
  /** The person the link was sent to: the only one it acts for. */
  userId: string;
  createdAt: number;
  expiresAt: number;
  usedAt?: number;
}
