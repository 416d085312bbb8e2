// What the HTTP server needs of the service. `Baton` (everything in one thread) and
// `RemoteBaton` (the engine on its own thread, see engine-host.ts) both provide it.
import type { Baton } from './baton.ts';
import type { HandoffCommit } from '../store/port.ts';

/** Who hears about commits (live views); a listener gets at least handoff and event types. */
export interface CommitSource {
  on(event: 'committed', listener: (commit: HandoffCommit) => void): unknown;
  off(event: 'committed', listener: (commit: HandoffCommit) => void): unknown;
}

export type BatonApi = Pick<
  Baton,
  | 'project'
  | 'directory'
  | 'store'
  | 'send'
  | 'get'
  | 'getByKey'
  | 'list'
  | 'board'
  | 'flows'
  | 'flowDetail'
  | 'reloadFlows'
  | 'checkFlowDraft'
  | 'saveFlow'
  | 'connectors'
  | 'checkConnectors'
  | 'useSchemas'
  | 'tasks'
  | 'queueTasks'
  | 'inbox'
  | 'queueInbox'
  | 'approvals'
  | 'permitted'
  | 'waiting'
  | 'decide'
  | 'accept'
  | 'decline'
  | 'giveBack'
  | 'reassign'
  | 'amend'
  | 'complete'
  | 'cancel'
  | 'retry'
  | 'resolve'
  | 'observed'
  | 'rollback'
  | 'authenticate'
  | 'createToken'
  | 'createFirstRunToken'
  | 'revokeToken'
  | 'reachOf'
  | 'metricsText'
  | 'linkView'
  | 'useLink'
  | 'rememberRequest'
  | 'deliver'
  | 'intakeFailures'
  | 'intakeFailure'
  | 'replayIntake'
  | 'dropIntake'
  | 'triggers'
  | 'close'
> & {
  readonly engine: CommitSource;
  readonly metricsContentType: string;
  /** Starts the worker (a no-op when it runs elsewhere or already runs). */
  startWorker(): void;
};

/** The methods `RemoteBaton` forwards to the engine thread. */
export const FORWARDED = [
  'send',
  'get',
  'getByKey',
  'list',
  'tasks',
  'queueTasks',
  'inbox',
  'queueInbox',
  'approvals',
  'permitted',
  'waiting',
  'decide',
  'accept',
  'decline',
  'giveBack',
  'reassign',
  'amend',
  'complete',
  'cancel',
  'retry',
  'resolve',
  'observed',
  'rollback',
  'createToken',
  'createFirstRunToken',
  'revokeToken',
  'metricsText',
  'useLink',
  'rememberRequest',
  'deliver',
  'intakeFailures',
  'intakeFailure',
  'replayIntake',
  'dropIntake',
  'triggers',
  'reloadFlows',
  'checkFlowDraft',
  'saveFlow',
  'liveFlowSources',
  'connectors',
  'checkConnectors',
  'useSchemas',
] as const;
export type Forwarded = (typeof FORWARDED)[number];
