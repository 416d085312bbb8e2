// `baton replay`: re-decide past handoffs from their frozen inputs against a changed flow,
// prompt or model, and print what would change. Direct mode only (it reads the store).
import type { Command } from 'commander';
import { UsageError } from '../errors.ts';
import { parseSince } from '../input.ts';
import { plural } from '../format.ts';
import { withSession, type SessionFor } from '../session.ts';
import type { DecisionOutcome, ReplayItem } from '../../service/replay.ts';

export function registerReplay(program: Command, sessionFor: SessionFor): void {
  program
    .command('replay')
    .description(
      're-decide past handoffs from their stored inputs against a changed flow or model; runs no action, calls no connector',
    )
    .argument('[id]', 'handoff id')
    .option('--since <when>', 'every handoff created since: 7d, 24h or an ISO date')
    .option('--flow <file>', 'decide with this flow file instead of the version the handoff pinned')
    .option('--model <model>', "decide with this model (provider:model) instead of the flow's")
    .action(
      withSession(
        sessionFor,
        async (s, id: string | undefined, o: { since?: string; flow?: string; model?: string }) => {
          if (!id && !o.since) throw new UsageError('name a handoff id, or --since 7d for many');
          if (id && o.since) throw new UsageError('give a handoff id or --since, not both');
          const baton = await s.baton('replay');
          const { Replayer } = await import('../../service/replay.ts');
          const r = new Replayer(baton, {
            ...(o.flow ? { flowFile: o.flow } : {}),
            ...(o.model ? { model: o.model } : {}),
          });
          if (id) {
            const item = await r.one(id);
            if (s.json) return s.outJson(item);
            s.out(`${item.id} (${item.flow})\n`);
            s.out(`  before: ${describe(item.before)}\n`);
            s.out(`  after:  ${describe(item.after)}${answerNote(item)}\n`);
            s.out(item.changed ? item.differences.map((d) => `  changed ${d}\n`).join('') : '  no change\n');
            return;
          }
          const summary = await r.since(parseSince(o.since!));
          if (s.json) return s.outJson(summary);
          for (const item of summary.items.filter((x) => x.changed)) {
            s.out(`${item.id}  ${item.differences.join('; ')}${answerNote(item)}\n`);
          }
          for (const sk of summary.skipped) s.out(`${sk.id}  skipped: ${sk.reason}\n`);
          const pct = summary.replayed ? Math.round((100 * summary.changed) / summary.replayed) : 0;
          s.out(
            `replayed ${plural(summary.replayed, 'handoff')}: ${summary.changed} would change (${pct}%), ` +
              `${summary.replayed - summary.changed} would not, ${summary.skipped.length} skipped; ` +
              `model cost $${summary.costUsd.toFixed(4)}\n`,
          );
        },
      ),
    );
}

function describe(o: DecisionOutcome): string {
  const who = o.escalated
    ? `to a person (${o.escalated}${o.problem ? `: ${o.problem}` : ''})`
    : `${o.owner} [${(o.actions ?? []).join(', ')}]`;
  const how = [
    o.by ? `by ${o.by}` : '',
    o.model ?? '',
    o.confidence !== undefined ? `confidence ${o.confidence}` : '',
  ]
    .filter(Boolean)
    .join(', ');
  return how ? `${who} (${how})` : who;
}

function answerNote(item: ReplayItem): string {
  if (item.answer === 'stored') return '  [stored answer: request unchanged]';
  if (item.answer === 'called') return `  [model called: $${item.costUsd.toFixed(4)}]`;
  return '';
}
