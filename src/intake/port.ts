// What a trigger hands to intake. A trigger (an SMTP listener, an IMAP poller, Slack's Events
// API, a schedule, a vendor's webhook) only turns what arrived into a `Delivery`; the intake
// service (intake.ts) maps it to the flow's input, starts or finds the handoff, or keeps it in the
// dead-letter list with the reason. Everything after is the engine's.
import type { IntakeAttachment, RawPayload } from '../store/intake-store.ts';
import type { TriggerDef } from '../core/trigger-schema.ts';
import type { Directory } from '../engine/directory.ts';
import type { Person } from '../core/project-schema.ts';
import type { SlackReader } from './slack/read.ts';

export type { RawPayload };

/** email | slack | schedule | webhooks.CONNECTOR */
export type TriggerName = 'email' | 'slack' | 'schedule' | `webhooks.${string}`;

/** What a trigger's parser makes of a raw payload (trigger-schema.ts lists each one's variables). */
export interface Parsed {
  /** The variables the flow's `map:` reads (email: mail, recipient; slack: slack, event; …). */
  vars: Record<string, unknown>;
  /**
   * References to earlier messages (a mail's In-Reply-To and References, a chat thread's root):
   * when one names a handoff, this adds `comment` to it instead of starting a new one.
   */
  thread?: string[];
  /** The text and author of the comment, when it is a reply. */
  comment?: { text: string; from: string; person?: string };
}

export interface Delivery {
  flow: string;
  trigger: TriggerName;
  /** The trigger's own idempotency key: Message-ID, Slack event_id, the vendor's delivery id, the slot. */
  key: string;
  /** What arrived, kept as it was for the dead-letter list and a replay. */
  raw: RawPayload;
  receivedAt?: number;
  /** Already parsed (saves a second parse); a replay parses `raw` again with the trigger's parser. */
  parsed?: Parsed;
  /** Why it cannot be taken, found before parsing (e.g. too_large); it goes to the dead-letter list. */
  refused?: { reason: string; message: string };
}

export type DeliveryResult =
  | { outcome: 'created' | 'duplicate'; flow: string; handoffId: string; state: string }
  | { outcome: 'commented'; flow: string; handoffId: string }
  | { outcome: 'failed'; flow: string; failureId: string; reason: string; message: string };

/** What a parser may consult: the project's people (a mail's sender or a Slack user as a person). */
export interface ParseContext {
  people: Pick<Directory, 'person' | 'personByEmail' | 'hasUser'> & {
    /** The person whose `slack:` id this is. */
    personBySlack(slackId: string): Person | undefined;
  };
  /** Slack's Web API, when Slack is configured: a replayed reaction reads its message again. */
  slack?: SlackReader;
  /** The `trigger:` block of the flow it is for (per-flow limits, e.g. email attachments). */
  trigger?: TriggerDef;
  /** Where a parser keeps the files that came with it (email attachments), by reference. */
  files?: { put(file: IntakeAttachment): Promise<void> };
}

/** The store failed while a parser kept a file: not the payload's fault, so not a dead letter. */
export class FileStoreFailed extends Error {}

/** Parses a trigger's raw payload (again, for a replay); throws with a message that says what is wrong. */
export type TriggerParser = (raw: RawPayload, ctx: ParseContext) => Promise<Parsed>;
