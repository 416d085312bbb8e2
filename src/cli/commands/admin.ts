// Commands for people's lists and for operators: tasks, inbox, token, report, audit.
import type { Command } from 'commander';
import type { AccessLevel } from '../../core/project-schema.ts';
import { EXIT_FAILURE, ExitError, UsageError } from '../errors.ts';
import { ago, plural, short, table } from '../format.ts';
import { parseSince, personArg } from '../input.ts';
import { withSession, type SessionFor } from '../session.ts';
import type { MetricsSummary } from '../../metrics/summary.ts';
import { describeScope } from '../../service/scope.ts';

const commaList = (text: string): string[] => text.split(',').map((x) => x.trim());

/** `--as` on token commands records who created or revoked a token; it must be a declared person. */
function actingPerson(as: string | undefined, baton: { directory: { hasUser(id: string): boolean } }) {
  if (as !== undefined && !baton.directory.hasUser(as))
    throw new UsageError(`--as ${as}: not a person declared in baton.yaml`);
  return as;
}

const ACCESS: readonly AccessLevel[] = ['admin', 'operator', 'viewer', 'intake'];

export function registerAdminCommands(program: Command, sessionFor: SessionFor): void {
  program
    .command('tasks')
    .description('the built-in task list (tasks, tickets, drafts), for a person and their teams and roles')
    .option(
      '--owner <owner>',
      'whose tasks: a user id (with their teams and roles) or a queue (team:ID, role:ID)',
    )
    .option('--state <state>', 'open | done | cancelled')
    .action(
      withSession(sessionFor, async (s, o: { owner?: string; state?: string }) => {
        const states = ['open', 'done', 'cancelled'] as const;
        const state = o.state === undefined ? undefined : states.find((x) => x === o.state);
        if (o.state !== undefined && !state)
          throw new UsageError(`--state must be one of ${states.join(', ')}`);
        const items = await (
          await s.client()
        ).tasks({ ...(o.owner ? { owner: personArg(o.owner) } : {}), ...(state ? { state } : {}) });
        if (s.json) return s.outJson({ items });
        if (items.length === 0) return s.out('no tasks\n');
        s.out(
          table(
            ['TASK', 'KIND', 'STATE', 'ASSIGNEE', 'HANDOFF', 'AGE', 'TITLE'],
            items.map((t) => [
              t.id,
              t.kind,
              t.state,
              t.assignee,
              t.handoffId,
              ago(t.createdAt),
              short(t.title, 60),
            ]),
          ),
        );
      }),
    );

  program
    .command('inbox')
    .description('the built-in inbox: handoffs, reminders, approvals and escalations addressed to a person')
    .option(
      '--owner <owner>',
      'whose inbox: a user id (with their teams and roles) or a queue (team:ID, role:ID)',
    )
    .action(
      withSession(sessionFor, async (s, o: { owner?: string }) => {
        const items = await (await s.client()).inbox(o.owner ? { owner: personArg(o.owner) } : {});
        if (s.json) return s.outJson({ items });
        if (items.length === 0) return s.out('inbox empty\n');
        s.out(
          table(
            ['TO', 'KIND', 'HANDOFF', 'AGE', 'TEXT'],
            items.map((m) => [m.owner, m.kind, m.handoffId, ago(m.createdAt), short(m.text, 120)]),
          ),
        );
      }),
    );

  const token = program.command('token').description("API tokens (on the project's store)");
  token
    .command('create')
    .description('create a token for a declared person; the secret is printed once')
    .requiredOption('--user <user>', 'the person the token acts as')
    .requiredOption('--access <level>', 'admin | operator | viewer | intake')
    .option('--name <name>', 'a label (where the token is used)')
    .option('--flows <ids>', 'scope: only handoffs of these flows (comma-separated)')
    .option(
      '--teams <ids>',
      'scope: only flows whose boundary starts or ends at these teams (comma-separated)',
    )
    .action(
      withSession(
        sessionFor,
        async (s, o: { user: string; access: string; name?: string; flows?: string; teams?: string }) => {
          const access = ACCESS.find((a) => a === o.access);
          if (!access)
            throw new UsageError(`--access must be one of ${ACCESS.join(', ')}, not "${o.access}"`);
          const scope = {
            ...(o.flows !== undefined ? { flows: commaList(o.flows) } : {}),
            ...(o.teams !== undefined ? { teams: commaList(o.teams) } : {}),
          };
          // A first token may come before the first `serve`: it may start the store.
          const baton = await s.baton('token create', { create: true });
          const by = actingPerson(s.options.as, baton);
          const t = await baton.createToken(o.user, access, {
            ...(o.name ? { name: o.name } : {}),
            ...(scope.flows || scope.teams ? { scope } : {}),
            ...(by ? { createdBy: by } : {}),
          });
          const scoped = t.row.flows || t.row.teams ? { flows: t.row.flows, teams: t.row.teams } : undefined;
          if (s.json)
            return s.outJson({
              id: t.id,
              user: o.user,
              access,
              name: o.name ?? null,
              flows: t.row.flows ?? null,
              teams: t.row.teams ?? null,
              token: t.token,
            });
          s.out(
            `${t.id} for ${o.user} (${access}${scoped ? `; ${describeScope(scoped)}` : ''})${o.name ? ` "${o.name}"` : ''}\n`,
          );
          s.out(`${t.token}\n`);
          s.err(
            'Store this token now: it will not be shown again. Use it as BATON_TOKEN or a Bearer token.\n',
          );
        },
      ),
    );
  token
    .command('revoke')
    .description('revoke a token at once (--as records who revoked it)')
    .argument('<id>', 'token id (tok_…)')
    .action(
      withSession(sessionFor, async (s, id: string) => {
        const baton = await s.baton('token revoke');
        const known = (await baton.store.listTokens()).find((t) => t.id === id);
        const revoked = await baton.revokeToken(id, actingPerson(s.options.as, baton));
        if (s.json) return s.outJson({ id, revoked: true });
        s.out(
          revoked || known?.revokedAt === undefined
            ? `${id} revoked\n`
            : `${id} was already revoked ${ago(known.revokedAt)}\n`,
        );
      }),
    );
  token
    .command('ls')
    .description('list tokens (never their secrets)')
    .action(
      withSession(sessionFor, async (s) => {
        const baton = await s.baton('token ls');
        const rows = await baton.store.listTokens();
        const items = rows.map((t) => ({
          id: t.id,
          user: t.userId,
          access: t.access,
          name: t.name ?? null,
          flows: t.flows ?? null,
          teams: t.teams ?? null,
          createdBy: t.createdBy ?? null,
          revokedBy: t.revokedBy ?? null,
          createdAt: new Date(t.createdAt).toISOString(),
          lastUsedAt: t.lastUsedAt === undefined ? null : new Date(t.lastUsedAt).toISOString(),
          revokedAt: t.revokedAt === undefined ? null : new Date(t.revokedAt).toISOString(),
          // Its person was removed from baton.yaml: the server refuses it (401); revoke it.
          orphaned: !baton.directory.hasUser(t.userId),
        }));
        if (s.json) return s.outJson({ items });
        if (items.length === 0)
          return s.out('no tokens (create one: baton token create --user ID --access admin)\n');
        s.out(
          table(
            ['TOKEN', 'USER', 'ACCESS', 'SCOPE', 'NAME', 'CREATED', 'LAST USED', 'STATUS'],
            items.map((t) => [
              t.id,
              t.user,
              t.access,
              t.flows || t.teams
                ? describeScope({
                    ...(t.flows ? { flows: t.flows } : {}),
                    ...(t.teams ? { teams: t.teams } : {}),
                  })
                : 'all',
              t.name ?? '',
              ago(t.createdAt),
              t.lastUsedAt ? ago(t.lastUsedAt) : 'never',
              t.revokedAt
                ? `revoked ${ago(t.revokedAt)}${t.revokedBy ? ` by ${t.revokedBy}` : ''}`
                : t.orphaned
                  ? `orphaned (${t.user} is not in baton.yaml)`
                  : 'active',
            ]),
          ),
        );
      }),
    );

  program
    .command('report')
    .description('latency, rework, escalation rate, cost per completed handoff, by flow, boundary and owner')
    .option('--since <when>', 'from: 7d, 24h or an ISO date', '7d')
    .option('--until <when>', 'to: 1d (ago) or an ISO date (default: now)')
    .option('--flow <flow>', 'only this flow')
    .option('--boundary <from->to>', 'only this boundary, e.g. team:marketing->team:sales')
    .action(
      withSession(
        sessionFor,
        async (s, o: { since: string; until?: string; flow?: string; boundary?: string }) => {
          const summary = await (
            await s.client()
          ).summary({
            since: parseSince(o.since),
            ...(o.until !== undefined ? { until: parseSince(o.until) } : {}),
            ...(o.flow ? { flow: o.flow } : {}),
            ...(o.boundary ? { boundary: o.boundary } : {}),
          });
          if (s.json) return s.outJson(summary);
          const { formatReport } = await import('../../metrics/report.ts');
          s.out(formatReport(summary as MetricsSummary));
        },
      ),
    );

  const audit = program.command('audit').description('the tamper-evident audit log');
  audit
    .command('verify')
    .description("check every handoff's hash chain and the checkpoint chain; exit 1 on any problem")
    .action(
      withSession(sessionFor, async (s) => {
        const r = await (await s.client()).auditVerify();
        if (s.json) s.outJson(r);
        else {
          const scope = `${plural(r.checked, 'event')} in ${plural(r.handoffs, 'handoff')}, ${plural(r.checkpoints, 'checkpoint')}`;
          if (r.ok) s.out(`audit ok: ${scope}\n`);
          else s.out(`audit FAILED: ${plural(r.problems.length, 'problem')} (${scope})\n`);
          for (const p of r.problems) {
            const where = [
              p.handoffId ? `handoff ${p.handoffId}` : '',
              p.seq !== undefined ? `event ${p.seq}` : '',
              p.checkpoint !== undefined ? `checkpoint ${p.checkpoint}` : '',
            ]
              .filter(Boolean)
              .join(' ');
            s.out(`  ${where ? `${where}: ` : ''}${p.problem}\n`);
          }
          if (r.ok && r.head)
            s.out(
              `head: checkpoint ${r.head.seq} ${r.head.hash} (keep it elsewhere to detect a rewrite of the whole log)\n`,
            );
        }
        if (!r.ok) throw new ExitError(EXIT_FAILURE);
      }),
    );
  audit
    .command('export')
    .description('the audit log as NDJSON on standard output (one event a line)')
    .option('--handoff <id>', 'only this handoff')
    .action(
      withSession(sessionFor, async (s, o: { handoff?: string }) => {
        await (
          await s.client()
        ).auditExport(
          (line) => s.outRaw(line.endsWith('\n') ? line : `${line}\n`),
          o.handoff ? { handoffId: o.handoff } : {},
        );
      }),
    );
}
