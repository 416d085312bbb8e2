// The audit log is hash-chained per handoff: each event's hash covers the previous hash and the
// event's canonical content, so an edited, deleted, inserted or reordered event breaks the chain.
// A global checkpoint chain over handoff heads (see audit/) catches deleted handoffs and cut tails.
import { hash } from 'node:crypto';

export const GENESIS = '0'.repeat(64);

/** JSON with sorted object keys, so equal content always hashes the same. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v === 'bigint') return v.toString();
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      const sorted: Record<string, unknown> = {};
      for (const k of Object.keys(v).sort()) sorted[k] = (v as Record<string, unknown>)[k];
      return sorted;
    }
    return v;
  });
}

export function sha256(text: string): string {
  return hash('sha256', text, 'hex');
}

/** The stored form of an event's content; `data` is kept as the exact JSON text that was hashed. */
export interface ChainedContent {
  handoffId: string;
  seq: number;
  at: number;
  type: string;
  actorKind: string;
  actorId: string;
  via: string | null;
  data: string;
}

export function eventHash(prevHash: string, e: ChainedContent): string {
  return sha256(
    `${prevHash}\n${e.handoffId}\n${e.seq}\n${e.at}\n${e.type}\n${e.actorKind}\n${e.actorId}\n${e.via ?? ''}\n${e.data}`,
  );
}

/** A checkpoint covers the heads (handoff id, last seq, last hash) touched since the previous one. */
export function checkpointHash(prevHash: string, seq: number, at: number, headsJson: string): string {
  return sha256(`${prevHash}\n${seq}\n${at}\n${headsJson}`);
}
