// Project-level checks of the flows' intake triggers, run when the project loads and on every
// reload: what one flow file cannot know (another flow's channels, baton.yaml's connectors).
import type { ErrorDetail } from '../core/errors.ts';
import type { ConfiguredConnector } from '../connectors/configure.ts';
import type { CompiledFlow } from '../flow/compiled.ts';
import { checkSlackChannels } from './slack/channels.ts';
import { checkWebhookTriggers } from './webhooks/checks.ts';

export function intakeTriggerProblems(
  flows: Iterable<CompiledFlow>,
  connectors: readonly ConfiguredConnector[],
): ErrorDetail[] {
  const list = [...flows];
  return [...checkSlackChannels(list), ...checkWebhookTriggers(list, connectors)];
}
