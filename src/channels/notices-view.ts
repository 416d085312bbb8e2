// What a handoff's notices became: each notice with its deliveries (who, which channel, sent or
// failed and why), for `GET /v1/handoffs/{id}` and `baton show`.
import type { Store } from '../store/port.ts';

export interface NoticeView {
  id: string;
  kind: string;
  owner: string;
  state: string;
  attempts: number;
  createdAt: string;
  error?: string;
  deliveries: Array<{ channel: string; recipient: string; state: string; attempts: number; error?: string }>;
}

export async function noticesOf(store: Store, handoffId: string): Promise<NoticeView[]> {
  const notices = await store.outbox({ handoffId });
  const out: NoticeView[] = [];
  for (const n of notices) {
    const deliveries = (await store.deliveries({ outboxId: n.id })).map((d) => ({
      channel: d.channel,
      recipient: d.recipient,
      state: d.state,
      attempts: d.attempts,
      ...(d.error ? { error: d.error } : {}),
    }));
    out.push({
      id: n.id,
      kind: n.kind,
      owner: n.owner,
      state: n.state,
      attempts: n.attempts,
      createdAt: new Date(n.createdAt).toISOString(),
      ...(n.error ? { error: n.error } : {}),
      deliveries,
    });
  }
  return out;
}
