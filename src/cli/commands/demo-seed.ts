// `baton serve --demo`: on a store that holds no handoff yet, sends the input of every eval case
// of the project as an intake, so a newcomer's first look at the console shows routed work
// (owners, approvals waiting, escalations) instead of an empty board. A store with handoffs is
// left alone: restarting the demo never adds more.
import { errorText } from '../../core/errors.ts';
import { loadProjectCases } from '../../eval/cases.ts';
import type { BatonApi } from '../../service/api.ts';

const DEMO_ACTOR = { kind: 'system' as const, id: 'demo', via: 'demo' };

export async function seedDemo(baton: BatonApi, log: (line: string) => void): Promise<number> {
  const { items } = await baton.list({ limit: 1 });
  if (items.length > 0) return 0;
  let sent = 0;
  for (const file of loadProjectCases(baton.project)) {
    for (const c of file.cases) {
      try {
        await baton.send(file.flow, c.input, DEMO_ACTOR, 'manual');
        sent++;
      } catch (e) {
        log(`demo: case "${c.name}" of ${file.flow} was not sent: ${errorText(e)}`);
      }
    }
  }
  return sent;
}
