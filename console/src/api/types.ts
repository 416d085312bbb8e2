// The API's answers as the server declares them: types inferred from the same zod schemas the
// OpenAPI document is generated from (type-only imports: nothing of the server reaches the
// bundle). A changed schema fails the console's type-check instead of its users.
import type { z } from 'zod';
import type {
  approvalList,
  approvalSchema,
  flowDetail,
  flowList,
  handoffPage,
  handoffSummary,
  handoffView,
  inboxList,
  streamEvent,
  taskList,
  auditVerify,
  handoffCommands,
  waitingList,
  eventPage,
  metricsSummaryResponse,
  boardResponse,
} from '../../../src/server/schemas.ts';
import type { sessionView } from '../../../src/server/routes/session.ts';
import type {
  draftAnswer,
  evalAnswer,
  flowVersionAnswer,
  flowVersions,
  saveAnswer,
} from '../../../src/server/flow-edit-schemas.ts';
import type { triggerList } from '../../../src/server/intake-schemas.ts';
import type { FlowDef } from '../../../src/core/flow-schema.ts';
import type { FlowChange as Change } from '../../../src/flow/edit.ts';

export type Session = z.infer<typeof sessionView>;
export type HandoffSummary = z.infer<typeof handoffSummary>;
export type HandoffPage = z.infer<typeof handoffPage>;
export type HandoffDetail = z.infer<typeof handoffView>;
export type Approval = z.infer<typeof approvalSchema>;
export type ApprovalList = z.infer<typeof approvalList>;
export type FlowList = z.infer<typeof flowList>;
export type FlowDetail = z.infer<typeof flowDetail>;
export type InboxList = z.infer<typeof inboxList>;
export type TaskList = z.infer<typeof taskList>;
export type StreamEvent = z.infer<typeof streamEvent>;
export type AuditVerify = z.infer<typeof auditVerify>;
export type EventPage = z.infer<typeof eventPage>;
export type MetricsSummary = z.infer<typeof metricsSummaryResponse>;
/** What the caller may do to a handoff now (GET /v1/handoffs/{id}/commands). */
export type HandoffCommands = z.infer<typeof handoffCommands>;
/** What waits for the caller (GET /v1/inbox/waiting). */
export type Waiting = z.infer<typeof waitingList>;
/** The board's counts and first cards (GET /v1/board). */
export type BoardCounts = z.infer<typeof boardResponse>;
export type BoardColumn = BoardCounts['columns'][number];
export type HandoffItem = HandoffPage['items'][number];

// The Flows pages: version history, drafts, eval runs and saves of a flow file.
export type FlowVersions = z.infer<typeof flowVersions>;
export type FlowVersion = z.infer<typeof flowVersionAnswer>;
export type FlowDraft = z.infer<typeof draftAnswer>;
export type FlowEval = z.infer<typeof evalAnswer>;
export type FlowSaved = z.infer<typeof saveAnswer>;
/** One edit of a flow file, as the draft route takes it. */
export type FlowChange = Change;
export type TriggerList = z.infer<typeof triggerList>;
/** A flow's definition as the server holds it (defaults filled in). */
export type FlowDefinition = FlowDef;
