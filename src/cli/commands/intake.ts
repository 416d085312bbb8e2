// `baton intake failed [FLOW]`, `intake show ID`, `intake replay ID`, `intake drop ID`: the
// dead-letter list of triggers (what arrived and could not become a handoff, with the reason).
// `baton flows`: each flow with its triggers, whether each is live and when it last fired.
import type { Command } from 'commander';
import { EXIT_FAILURE, ExitError, UsageError } from '../errors.ts';
import { table } from '../format.ts';
import { withSession, type SessionFor } from '../session.ts';
import type { FailureView } from '../../service/intake-view.ts';

const STATES = ['failed', 'replayed', 'dropped'] as const;

const ago = (iso: string): string => {
  const s = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
  if (s < 90) return `${s}s ago`;
  if (s < 5400) return `${Math.round(s / 60)}m ago`;
  if (s < 129600) return `${Math.round(s / 3600)}h ago`;
  return `${Math.round(s / 86400)}d ago`;
};

function describeFailure(f: FailureView): string {
  const lines = [
    `${f.id}  ${f.state}${f.handoffId ? ` → ${f.handoffId}` : ''}`,
    `  flow ${f.flow}, trigger ${f.trigger}, key ${f.key}`,
    `  received ${f.receivedAt}${f.seen > 1 ? `, seen ${f.seen} times (last ${f.lastSeenAt})` : ''}`,
    `  ${f.reason}: ${f.message}`,
    ...f.details.map((d) => `    ${d.path}: ${d.message}`),
    `  payload ${f.payload.contentType}, ${f.payload.bytes} bytes${f.payload.truncated ? ' (only the start kept: too large)' : ''}`,
    ...Object.entries(f.payload.meta).map(([k, v]) => `    ${k}: ${v}`),
  ];
  if (f.settledAt) lines.push(`  ${f.state} ${f.settledAt}${f.settledBy ? ` by ${f.settledBy}` : ''}`);
  return `${lines.join('\n')}\n`;
}

export function registerIntake(program: Command, sessionFor: SessionFor): void {
  const intake = program
    .command('intake')
    .description(
      'what triggers (email, Slack, schedules, vendor webhooks) received and could not turn into handoffs',
    );
  intake
    .command('failed')
    .description('the dead-letter list, newest first: flow, trigger, reason')
    .argument('[flow]', 'only this flow')
    .option('--state <state>', `failed (default), replayed, dropped or all`, 'failed')
    .option('--limit <n>', 'at most this many (1-1000)', '100')
    .action(
      withSession(sessionFor, async (s, flow: string | undefined, o: { state: string; limit: string }) => {
        const state = o.state === 'all' ? undefined : o.state;
        if (state !== undefined && !(STATES as readonly string[]).includes(state))
          throw new UsageError(`--state must be one of ${STATES.join(', ')} or all`);
        const limit = Number(o.limit);
        if (!Number.isInteger(limit) || limit < 1 || limit > 1000)
          throw new UsageError('--limit must be 1-1000');
        const items = await (
          await s.client()
        ).intakeFailures({
          ...(flow !== undefined ? { flow } : {}),
          ...(state !== undefined ? { state: state as FailureView['state'] } : {}),
          limit,
        });
        if (s.json) return s.outJson(items);
        if (items.length === 0) return s.out(`nothing ${state ?? 'kept'}${flow ? ` for ${flow}` : ''}\n`);
        s.out(
          table(
            ['ID', 'FLOW', 'TRIGGER', 'REASON', 'SEEN', 'LAST', 'STATE', 'MESSAGE'],
            items.map((f) => [
              f.id,
              f.flow,
              f.trigger,
              f.reason,
              String(f.seen),
              ago(f.lastSeenAt),
              f.state,
              f.message.slice(0, 80),
            ]),
          ),
        );
      }),
    );
  intake
    .command('show')
    .description('one entry: the reason, its details and the payload as it arrived')
    .argument('<id>', 'an entry id (if_…)')
    .action(
      withSession(sessionFor, async (s, id: string) => {
        const f = await (await s.client()).intakeFailure(id);
        if (s.json) return s.outJson(f);
        s.out(describeFailure(f));
        s.out(
          `  --- payload${f.payload.encoding === 'base64' ? ' (as text)' : ''} ---\n${f.payload.preview}\n`,
        );
      }),
    );
  intake
    .command('replay')
    .description('run a kept delivery again against the flow as it is now (fix the flow first)')
    .argument('<id>', 'an entry id (if_…)')
    .action(
      withSession(sessionFor, async (s, id: string) => {
        const r = await (await s.client()).replayIntake(id);
        if (s.json) s.outJson(r);
        else if (r.outcome === 'failed') s.out(`${id} failed again: ${r.reason}: ${r.message}\n`);
        else s.out(`${id} replayed: ${r.outcome} ${r.handoffId}\n`);
        if (r.outcome === 'failed') throw new ExitError(EXIT_FAILURE);
      }),
    );
  intake
    .command('drop')
    .description('give up on a kept delivery (it stays listed as dropped)')
    .argument('<id>', 'an entry id (if_…)')
    .action(
      withSession(sessionFor, async (s, id: string) => {
        const f = await (await s.client()).dropIntake(id);
        if (s.json) s.outJson(f);
        else s.out(`${f.id} dropped\n`);
      }),
    );

  program
    .command('flows')
    .description(
      "the project's flows and their triggers: live or not, where each listens, when it last fired",
    )
    .argument('[flow]', 'only this flow')
    .action(
      withSession(sessionFor, async (s, flow: string | undefined) => {
        const c = await s.client();
        const [flows, triggers] = await Promise.all([c.flows(), c.triggers()]);
        const shown = flow === undefined ? flows : flows.filter((f) => f.id === flow);
        if (flow !== undefined && shown.length === 0)
          throw new UsageError(`there is no flow ${flow} (flows: ${flows.map((f) => f.id).join(', ')})`);
        if (s.json)
          return s.outJson(
            shown.map((f) => ({ ...f, triggers: triggers.find((t) => t.flow === f.id)?.triggers ?? [] })),
          );
        for (const f of shown) {
          s.out(`${f.id} (${f.mode}, ${f.boundary ?? ''}) version ${f.version.slice(0, 12)}: ${f.name}\n`);
          for (const t of triggers.find((x) => x.flow === f.id)?.triggers ?? []) {
            const last = t.lastFiredAt ? `, last ${ago(t.lastFiredAt)} (${t.lastOutcome})` : '';
            const counts = t.fired !== undefined ? `, ${t.fired} fired, ${t.failed ?? 0} failed` : '';
            const next = t.nextAt ? `, next ${t.nextAt}` : '';
            s.out(`  ${t.live ? 'live' : 'off '} ${t.trigger}: ${t.where}${last}${counts}${next}\n`);
          }
        }
      }),
    );
}
