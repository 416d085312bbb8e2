// The API's view of a dead-letter entry (HTTP and the CLI's direct mode show the same): times as
// ISO text, the payload as a preview unless the whole entry is asked for.
import type { IntakeFailureRecord } from '../store/intake-store.ts';

/** The record with its times as ISO text and the payload as a preview (and, for one entry, whole). */
export type FailureView = Omit<IntakeFailureRecord, 'receivedAt' | 'lastSeenAt' | 'settledAt' | 'payload'> & {
  receivedAt: string;
  lastSeenAt: string;
  settledAt?: string;
  payload: Pick<IntakeFailureRecord['payload'], 'contentType' | 'bytes'> & {
    truncated: boolean;
    meta: Record<string, string>;
    preview: string;
    body?: string;
    encoding?: IntakeFailureRecord['payload']['encoding'];
  };
};

const PREVIEW = 2000;

function previewOf(p: IntakeFailureRecord['payload']): string {
  const text =
    p.encoding === 'base64' ? Buffer.from(p.body.slice(0, PREVIEW * 2), 'base64').toString('utf8') : p.body;
  return text.slice(0, PREVIEW);
}

/** The API's view of a dead-letter entry; `whole` adds the payload as kept. */
export function failureToView(f: IntakeFailureRecord, whole = false): FailureView {
  const iso = (ms: number) => new Date(ms).toISOString();
  return {
    id: f.id,
    flow: f.flow,
    trigger: f.trigger,
    key: f.key,
    reason: f.reason,
    message: f.message,
    details: f.details,
    receivedAt: iso(f.receivedAt),
    lastSeenAt: iso(f.lastSeenAt),
    seen: f.seen,
    state: f.state,
    ...(f.settledAt !== undefined ? { settledAt: iso(f.settledAt) } : {}),
    ...(f.settledBy !== undefined ? { settledBy: f.settledBy } : {}),
    ...(f.handoffId !== undefined ? { handoffId: f.handoffId } : {}),
    payload: {
      contentType: f.payload.contentType,
      bytes: f.payload.bytes,
      truncated: f.payload.truncated ?? false,
      meta: f.payload.meta ?? {},
      preview: previewOf(f.payload),
      ...(whole ? { body: f.payload.body, encoding: f.payload.encoding } : {}),
    },
  };
}
