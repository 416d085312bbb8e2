// Notion ids as the API and its description take them: a UUID, written with dashes. Accepting the
// 32-hex form users copy from page URLs, and nothing else, also keeps ids from changing the path.
import { createHash } from 'node:crypto';
import { z } from 'zod';

export const notionId = z
  .string()
  .regex(
    /^(?:[0-9a-fA-F]{32}|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$/,
    'a Notion id (32 hex digits, with or without dashes)',
  )
  .transform((s) => {
    const h = s.replace(/-/g, '').toLowerCase();
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  });

/** The marker Baton stores for one idempotency key (in a key property, or at the end of a title). */
export const markerOf = (idempotencyKey: string): string =>
  `baton:${createHash('sha256').update(idempotencyKey).digest('hex').slice(0, 24)}`;
