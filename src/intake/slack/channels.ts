// A project-level check of Slack triggers: one channel feeds one flow, so a message in it has
// one place to go. Two flows that list the same channel are an error naming both.
import type { ErrorDetail } from '../../core/errors.ts';
import type { CompiledFlow } from '../../flow/compiled.ts';
import { YamlSource } from '../../flow/yaml-source.ts';

export function checkSlackChannels(flows: Iterable<CompiledFlow>): ErrorDetail[] {
  const claimed = new Map<string, string>();
  const errors: ErrorDetail[] = [];
  for (const f of flows) {
    f.def.trigger.slack?.channels.forEach((channel, i) => {
      const first = claimed.get(channel);
      if (first === undefined) {
        claimed.set(channel, f.def.id);
        return;
      }
      if (first === f.def.id) return;
      errors.push(
        new YamlSource(f.source, f.file).detail(
          ['trigger', 'slack', 'channels', i],
          `Slack channel ${channel} is already taken by flow ${first}: one channel feeds one flow (flows ${first} and ${f.def.id})`,
        ),
      );
    });
  }
  return errors;
}
