// Commands on the project's files: init, validate, schema, migrate, eval.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { isBatonError, type ErrorDetail } from '../../core/errors.ts';
import type { PathSeg, YamlSource as YamlSourceClass } from '../../flow/yaml-source.ts';
import type { Project } from '../../project/load.ts';
import type { Baton } from '../../service/baton.ts';
import { EXIT_FAILURE, EXIT_USAGE, ExitError, formatDetail, UsageError } from '../errors.ts';
import { plural, table } from '../format.ts';
import { withSession, type Session, type SessionFor } from '../session.ts';

export function registerProjectCommands(program: Command, sessionFor: SessionFor): void {
  program
    .command('init')
    .description(
      'create a new project folder: baton.yaml, two example flows with eval cases, an action, a table',
    )
    .argument('<dir>', 'folder to create (must not hold a project already)')
    .action(
      withSession(sessionFor, async (s, dir: string) => {
        const { initProject } = await import('../../eval/init.ts');
        const files = initProject(dir);
        if (s.json) return s.outJson({ dir: path.resolve(dir), files });
        s.out(`Created a Baton project in ${dir}:\n`);
        for (const f of files) s.out(`  ${path.relative(process.cwd(), f) || f}\n`);
        s.out(`\nNext:\n${nextSteps(dir).join('\n')}\n`);
      }),
    );

  program
    .command('validate')
    .description(
      'check baton.yaml, every flow, table and action module; print every problem as file:line:col, then warnings (flows that load but cannot work as written)',
    )
    .option('--strict', 'exit 2 when there are warnings too')
    .action(
      withSession(sessionFor, async (s, o: { strict?: boolean }) => {
        const { Baton } = await import('../../service/baton.ts');
        let baton: Baton | undefined;
        try {
          // An in-memory store: validation also checks that every `use:` names a known action.
          baton = await Baton.open({ dir: s.projectDir, storage: 'sqlite::memory:', worker: false });
        } catch (e) {
          if (!isBatonError(e) || !['flow_invalid', 'project_invalid', 'not_found'].includes(e.code)) throw e;
          const { YamlSource } = await import('../../flow/yaml-source.ts');
          const details = (e.details.length ? e.details : [{ path: '', message: e.message }]).map((d) =>
            withLine(YamlSource, d),
          );
          if (s.json) s.outJson({ ok: false, problems: details });
          else {
            for (const d of details) s.err(`${formatDetail(relative(d))}\n`);
            s.err(`baton: ${plural(details.length, 'problem')} in project ${s.projectDir}\n`);
          }
          throw new ExitError(EXIT_USAGE);
        }
        try {
          const p = baton.project;
          const { flowWarnings } = await import('../../project/flow-warnings.ts');
          const { offTriggerWarnings } = await import('../../service/triggers-view.ts');
          const warnings = [
            ...flowWarnings(p.flows.values(), baton.registry, baton.directory),
            ...offTriggerWarnings(p),
          ];
          const failed = o.strict === true && warnings.length > 0;
          if (s.json) {
            s.outJson({ ok: !failed, project: p.dir, ...counts(p), warnings });
          } else {
            // With --strict a warning fails: the first line must not say ok above it.
            const noted = warnings.length
              ? ` (${plural(warnings.length, 'warning')}, on standard error)`
              : '';
            s.out(`${failed ? 'not ok' : 'ok'}: ${p.dir}${noted}\n`);
            const c = counts(p);
            s.out(
              `  ${plural(c.flows.length, 'flow')}${c.flows.length ? ` (${c.flows.join(', ')})` : ''}, ` +
                `${c.people} ${c.people === 1 ? 'person' : 'people'}, ${plural(c.teams, 'team')}, ${plural(c.tables.length, 'table')}\n`,
            );
            for (const w of warnings) s.err(`warning: ${formatDetail(relative(w))}\n`);
            if (warnings.length)
              s.err(
                `baton: ${plural(warnings.length, 'warning')}${o.strict ? ' (--strict: failing)' : ''}\n`,
              );
          }
          if (failed) throw new ExitError(EXIT_USAGE);
        } finally {
          await baton.close();
        }
      }),
    );

  program
    .command('schema')
    .description('print a JSON Schema (flow: for flow files, so editors validate them)')
    .argument('<name>', 'which schema: flow')
    .action(
      withSession(sessionFor, async (s, name: string) => {
        if (name !== 'flow') throw new UsageError(`unknown schema "${name}": the schemas are: flow`);
        const { flowJsonSchema } = await import('../../flow/json-schema.ts');
        const { projectUseSchemas } = await import('../../actions/schemas.ts');
        // With the project's actions and connectors, each `use:` checks its `with:` too.
        s.outJson(flowJsonSchema(await projectUseSchemas(s.projectDir)));
      }),
    );

  program
    .command('migrate')
    .description(
      "bring the project's store to the latest schema; with --from and --to, copy a SQLite store into an empty PostgreSQL one",
    )
    .option('--from <url>', 'copy this SQLite store (sqlite:PATH, relative to the working directory)')
    .option('--to <url>', 'into this empty PostgreSQL store (postgres://…?schema=NAME)')
    .action(
      withSession(sessionFor, async (s, opts: { from?: string; to?: string }) => {
        if (s.http)
          throw new UsageError(
            'migrate works on the store directly; unset BATON_URL (use --storage or --project)',
          );
        if (opts.from !== undefined || opts.to !== undefined) return copyCommand(s, opts);
        const { loadProject, resolveStorageUrl } = await import('../../project/load.ts');
        const { openStore } = await import('../../store/open.ts');
        let url: string;
        const override = s.storageOverride;
        if (override)
          url = resolveStorageUrl({ dir: s.projectDir, def: { storage: override } } as Project, override);
        else url = resolveStorageUrl(await loadProject(s.projectDir));
        const store = await openStore(url);
        try {
          await store.migrate();
          const rows = await store.query<{ version: number; name: string; applied_at: number }>(
            'SELECT version, name, applied_at FROM schema_migrations ORDER BY version',
          );
          if (s.json) return s.outJson({ storage: url, migrations: rows });
          s.out(`${url} is at schema version ${rows.at(-1)?.version ?? 0}\n`);
          s.out(
            table(
              ['VERSION', 'MIGRATION', 'APPLIED'],
              rows.map((r) => [String(r.version), r.name, new Date(r.applied_at).toISOString()]),
            ),
          );
        } finally {
          await store.close();
        }
      }),
    );

  program
    .command('eval')
    .description("run the flows' eval cases (flows/*.cases.yaml) with no side effects; exit 1 if any fails")
    .argument('[flow]', 'only this flow')
    .action(
      withSession(sessionFor, async (s, flow: string | undefined) => {
        const { runEval, formatEvalReport } = await import('../../eval/run.ts');
        const report = await runEval(s.projectDir, flow ? { flow } : {});
        if (s.json) s.outJson(report);
        else s.out(formatEvalReport(report));
        if (report.failed > 0) throw new ExitError(EXIT_FAILURE);
      }),
    );
}

/** `migrate --from --to`: copies the whole store, then shows what the target's audit says. */
async function copyCommand(s: Session, opts: { from?: string; to?: string }): Promise<void> {
  if (opts.from === undefined || opts.to === undefined)
    throw new UsageError(
      `--${opts.from === undefined ? 'from' : 'to'} is required with --${opts.from === undefined ? 'to' : 'from'}`,
    );
  if (s.typed.has('storage'))
    throw new UsageError('--storage does not apply to migrate --from/--to: the two URLs name the stores');
  const { copyStore, TABLES } = await import('../../store/copy.ts');
  const { redactUrl } = await import('../../core/redact-url.ts');
  const { progressBar } = await import('../progress.ts');
  // Relative SQLite paths are from the working directory, as for --storage.
  const { from, to } = opts;
  let bar: ReturnType<typeof progressBar> | undefined;
  let shown = 0;
  if (!s.json) s.err(`copying ${from} to ${redactUrl(to)}\n`);
  const result = await copyStore(from, to, (done, total) => {
    bar ??= progressBar(total, 'copying');
    bar.tick(done - shown);
    shown = done;
  });
  bar?.done();
  const { audit } = result;
  if (s.json) s.outJson(result);
  else {
    s.out(`copied in ${(result.ms / 1000).toFixed(1)}s:\n`);
    s.out(
      table(
        ['WHAT', 'ROWS'],
        TABLES.map((t) => [t.label, String(result[t.count])]),
      ),
    );
    if (audit.ok) {
      s.out(
        `audit ok on the target: ${plural(audit.checked, 'event')} in ${plural(audit.handoffs, 'handoff')}, ${plural(audit.checkpoints, 'checkpoint')}\n`,
      );
      if (audit.head) s.out(`head: checkpoint ${audit.head.seq} ${audit.head.hash} (the source's last)\n`);
    } else {
      s.err(
        `baton: the audit does not verify on the target (${plural(audit.problems.length, 'problem')}):\n`,
      );
      for (const p of audit.problems) {
        const where = [
          p.handoffId,
          p.seq !== undefined ? `#${p.seq}` : '',
          p.checkpoint !== undefined ? `checkpoint ${p.checkpoint}` : '',
        ]
          .filter(Boolean)
          .join(' ');
        s.err(`  ${where ? `${where}: ` : ''}${p.problem}\n`);
      }
    }
  }
  if (!audit.ok) throw new ExitError(EXIT_FAILURE);
}

function counts(p: Project) {
  return {
    flows: [...p.flows.keys()],
    people: p.people.size,
    teams: p.teams.size,
    tables: [...p.tables.keys()],
  };
}

/** Details without a line (e.g. unknown actions) get one from the file, when the path is found. */
function withLine(YamlSource: typeof YamlSourceClass, d: ErrorDetail): ErrorDetail {
  // Only YAML files have lines to find (a TypeScript flow's details name its file and field).
  if (d.line !== undefined || !d.file || !d.path || !/\.ya?ml$/i.test(d.file)) return d;
  try {
    const pos = new YamlSource(readFileSync(d.file, 'utf8'), d.file).locate(parsePath(d.path));
    return { ...d, line: pos.line, column: pos.column };
  } catch {
    return d;
  }
}

function parsePath(p: string): PathSeg[] {
  const out: PathSeg[] = [];
  for (const m of p.matchAll(/([^.[\]]+)|\[(\d+)\]|\["((?:[^"\\]|\\.)*)"\]/g)) {
    if (m[1] !== undefined) out.push(m[1]);
    else if (m[2] !== undefined) out.push(Number(m[2]));
    else if (m[3] !== undefined) out.push(JSON.parse(`"${m[3]}"`) as string);
  }
  return out;
}

/** Paths under the working directory are shown relative to it, as compilers do. */
function relative(d: ErrorDetail): ErrorDetail {
  if (!d.file) return d;
  const rel = path.relative(process.cwd(), d.file);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? { ...d, file: rel } : d;
}

/** Baton's own folder: `npx baton` finds this CLI only inside it (elsewhere npx would fetch a package). */
const BATON_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/** The commands to run after `init`, as they work from the working directory. */
export function nextSteps(dir: string, cwd = process.cwd()): string[] {
  const fromCheckout = !path.relative(BATON_DIR, cwd).startsWith('..');
  if (fromCheckout) {
    const p = `--project ${dir}`;
    return [`  npx baton validate ${p}`, `  npx baton eval ${p}`, `  npx baton serve ${p}`];
  }
  // Outside the checkout: `baton` on the PATH (`npm link` in Baton's checkout puts it there).
  return [`  cd ${dir}`, '  baton validate', '  baton eval', '  baton serve'];
}
