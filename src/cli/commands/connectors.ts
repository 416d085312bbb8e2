// `baton connectors`: what is configured (secrets as ***), each connector's actions and context
// sources, and the flow entries that fall back to built-ins because their connector is not
// configured. `baton connectors check [NAME]`: one read call per connector, one line each.
import type { Command } from 'commander';
import { EXIT_FAILURE, ExitError } from '../errors.ts';
import { table } from '../format.ts';
import { withSession, type SessionFor } from '../session.ts';

export function registerConnectors(program: Command, sessionFor: SessionFor): void {
  const cmd = program
    .command('connectors')
    .description('list the configured connectors, their actions and sources, and the flows that fall back')
    .action(
      withSession(sessionFor, async (s) => {
        const v = await (await s.client({ storeless: true })).connectors();
        if (s.json) return s.outJson(v);
        if (v.items.length === 0)
          s.out(`no connectors configured (baton.yaml \`connectors:\`; types: ${v.types.join(', ')})\n`);
        for (const c of v.items) {
          const settings = Object.entries(c.settings)
            .map(([k, val]) => `${k}: ${typeof val === 'string' ? val : JSON.stringify(val)}`)
            .join(', ');
          s.out(`${c.name} (${c.type}): ${c.description}\n  ${settings || 'no settings'}\n`);
          const rows = [
            ...c.actions.map((a) => [
              a.id,
              'action',
              a.risk,
              a.idempotent ? (a.idempotency ?? 'yes') : 'no',
              a.undo,
            ]),
            ...c.sources.map((x) => [
              x.id,
              'source',
              x.trust,
              '',
              x.untrustedFields.length ? `untrusted: ${x.untrustedFields.join(', ')}` : '',
            ]),
          ];
          if (rows.length)
            s.out(
              table(['ID', 'KIND', 'RISK/TRUST', 'IDEMPOTENT', 'UNDO'], rows)
                .split('\n')
                .map((l) => (l ? `  ${l}` : l))
                .join('\n'),
            );
        }
        if (v.fallbacks.length) {
          s.out('falling back (connector not configured):\n');
          for (const f of v.fallbacks) s.out(`  ${f.flow} ${f.entry}: ${f.use} → ${f.fallback}\n`);
        }
      }),
    );
  cmd
    .command('check')
    .description('verify credentials and reachability of every connector (or NAME) with one read call')
    .argument('[name]', 'a connector name under `connectors:` in baton.yaml')
    .action(
      withSession(sessionFor, async (s, name: string | undefined) => {
        const checks = await (await s.client({ storeless: true })).checkConnectors(name);
        if (s.json) s.outJson(checks);
        else if (checks.length === 0) s.out('no connectors configured\n');
        else
          for (const c of checks)
            s.out(`${c.ok ? 'ok  ' : 'FAIL'} ${c.name} (${c.type}): ${c.message} (${c.ms} ms)\n`);
        if (checks.some((c) => !c.ok)) throw new ExitError(EXIT_FAILURE);
      }),
    );
}
