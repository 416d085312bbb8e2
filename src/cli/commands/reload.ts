// `baton reload`: a running server reads its flow files again (POST /v1/flows/reload). `baton
// serve` does the same by itself when a flow file changes and on SIGHUP; this file also words
// the outcome for both.
import type { Command } from 'commander';
import type { FlowReload } from '../../service/reload.ts';
import { EXIT_FAILURE, ExitError } from '../errors.ts';
import { formatDetail } from '../errors.ts';
import { withSession, type SessionFor } from '../session.ts';

const short = (v: string): string => v.slice(0, 12);

/** One line per flow that changed or did not load, then one per problem. */
export function formatReload(r: FlowReload, why: string): { out: string; err: string } {
  const lines: string[] = [];
  for (const f of r.flows) {
    if (f.change === 'updated')
      lines.push(`  ${f.id}  now ${short(f.version)} (was ${short(f.previous ?? '')})  ${f.file}`);
    else if (f.change === 'added') lines.push(`  ${f.id}  added at ${short(f.version)}  ${f.file}`);
    else if (f.change === 'removed')
      lines.push(`  ${f.id}  removed (its file is gone; running handoffs keep ${short(f.version)})`);
    else if (f.change === 'kept')
      lines.push(`  ${f.id}  stays at ${short(f.version)}: ${f.file} did not load`);
  }
  const changed = r.flows.some((f) => f.change !== 'unchanged');
  const out = `flows reloaded (${why})${changed ? '' : ': no change'}\n${lines.map((l) => `${l}\n`).join('')}`;
  const err = r.errors.length
    ? `baton: ${r.errors.length} problem${r.errors.length === 1 ? '' : 's'} in the flow files; the flows they hold stay as they were\n` +
      r.errors.map((e) => `  ${formatDetail(e)}\n`).join('')
    : '';
  return { out, err };
}

export function registerReload(program: Command, sessionFor: SessionFor): void {
  program
    .command('reload')
    .description(
      'make a running server read its flow files again (new versions go live; running handoffs keep theirs)',
    )
    .action(
      withSession(sessionFor, async (s) => {
        const r = await (await s.client()).reload();
        if (s.json) s.outJson(r);
        else {
          const text = formatReload(r, 'baton reload');
          s.out(text.out);
          s.err(text.err);
        }
        if (r.errors.length > 0) throw new ExitError(EXIT_FAILURE);
      }),
    );
}
