// The board's shapes, inferred from the server's response schemas (a changed schema fails here).
import type { z } from 'zod';
import type { boardResponse, handoffPage } from '../../../../src/server/schemas.ts';

export type BoardCounts = z.infer<typeof boardResponse>;
export type BoardColumn = BoardCounts['columns'][number];
export type HandoffPage = z.infer<typeof handoffPage>;
export type HandoffItem = HandoffPage['items'][number];

/** What the live stream says of each commit (server/stream.ts). */
export interface LiveEvent {
  id: string;
  flow: string;
  state: string;
  owner: string;
  events: string[];
  updatedAt: string;
}
