// `baton serve`: the HTTP API and a worker in one process, until SIGINT or SIGTERM.
import { existsSync, readFileSync, watch, type FSWatcher } from 'node:fs';
import { CONSOLE_DIST } from '../../server/console/static-files.ts';
import path from 'node:path';
import { parse } from 'yaml';
import type { Command } from 'commander';
import type { BatonApi } from '../../service/api.ts';
import type { ConnectorsView } from '../../service/connectors.ts';
import type { CompiledFlow } from '../../flow/compiled.ts';
import { casesFileOf } from '../../flow/file-names.ts';
import { parsePort } from '../input.ts';
import { VERSION } from '../program.ts';
import { withSession, type Session, type SessionFor } from '../session.ts';
import { untilSignal } from './until-signal.ts';
import { formatReload } from './reload.ts';
import { errorText } from '../../core/errors.ts';
import { isFlowFileName } from '../../flow/load.ts';
import { isTsFlowFileName } from '../../flow/file-names.ts';

interface ServeOptions {
  port?: string;
  host?: string;
  worker: boolean;
  demo?: boolean;
}

export function registerServe(program: Command, sessionFor: SessionFor): void {
  program
    .command('serve')
    .description('run the HTTP API and a worker for the project (Ctrl-C stops it gracefully)')
    .option('--port <port>', "port to listen on (default: baton.yaml's server.port; 0 picks a free one)")
    .option('--host <host>', "interface to listen on (default: baton.yaml's server.host)")
    .option('--no-worker', 'serve the API only; another process runs the work')
    .option(
      '--demo',
      "on an empty store, send every eval case's input as a handoff (example data for the console)",
    )
    .action(withSession(sessionFor, (s, o: ServeOptions) => serve(s, o)));
}

async function serve(s: Session, o: ServeOptions): Promise<void> {
  const port = o.port === undefined ? undefined : parsePort(o.port);
  const { startServer } = await import('../../server/listen.ts');
  const { RemoteBaton } = await import('../../service/remote.ts');
  // The engine (with its store and worker) runs on its own thread and the HTTP server on this
  // one, so a busy API and a busy engine use both cores.
  const baton: BatonApi = await RemoteBaton.open(
    {
      dir: s.projectDir,
      ...(s.storageOverride ? { storage: s.storageOverride } : {}),
      worker: o.worker,
    },
    (e) => {
      process.stderr.write(
        `baton: ${e.message}; stopping (acknowledged handoffs are safe: restart to resume)\n`,
      );
      process.exit(1);
    },
  );
  const host = o.host ?? baton.project.def.server.host;
  const wanted = port ?? baton.project.def.server.port;
  let server: { url: string; close(): Promise<void> };
  let firstToken: { user: string; token: string } | undefined;
  try {
    server = await startServer(baton, { port: wanted, host });
  } catch (e) {
    await baton.close();
    if ((e as NodeJS.ErrnoException).code === 'EADDRINUSE')
      throw new Error(`port ${wanted} on ${host} is in use: pass --port N (0 picks a free port)`, {
        cause: e,
      });
    throw e;
  }
  try {
    // Only once the server is up, so the one showing of the secret is not lost to a failed start.
    // Created only when the store has never held a token (atomic across processes).
    firstToken = await baton.createFirstRunToken();
  } catch (e) {
    await server.close();
    await baton.close();
    throw e;
  }
  if (o.worker) baton.startWorker();
  if (o.demo) {
    const { seedDemo } = await import('./demo-seed.ts');
    const sent = await seedDemo(baton, (line) => s.err(`baton: ${line}\n`));
    if (sent > 0) s.err(`baton: demo: sent ${sent} example handoffs (the eval cases' inputs)\n`);
  }

  // Mail intake after the HTTP server: the SMTP listener and the IMAP pollers.
  const { startMailIntake } = await import('../../intake/email/start.ts');
  let mail: Awaited<ReturnType<typeof startMailIntake>>;
  try {
    mail = await startMailIntake({
      project: baton.project,
      deliver: (d) => baton.deliver(d),
      log: (line) => s.err(`baton: intake ${line}\n`),
    });
  } catch (e) {
    await server.close();
    await baton.close();
    const smtp = baton.project.def.intake.smtp;
    if ((e as NodeJS.ErrnoException).code === 'EADDRINUSE' && smtp)
      throw new Error(`intake.smtp port ${smtp.port} on ${smtp.host} is in use`, { cause: e });
    throw e;
  }

  const connectors = await baton.connectors();
  s.out(
    banner(
      s,
      baton,
      await s.storageOf(baton),
      server.url,
      o.worker,
      firstToken,
      connectors,
      mail.describe(),
      [...(await baton.triggers())],
    ),
  );

  const reloads = watchFlows(s, baton);
  await untilSignal(s, async () => {
    reloads.close();
    await mail.close();
    await server.close();
    await baton.close();
  });
}

/** A change to a flow file (debounced) and SIGHUP reload the flows; a bad edit is reported, never fatal. */
function watchFlows(s: Session, baton: BatonApi): { close(): void } {
  let timer: NodeJS.Timeout | undefined;
  const reload = (why: string): void => {
    baton.reloadFlows().then(
      (r) => {
        const text = formatReload(r, why);
        s.out(text.out);
        s.err(text.err);
      },
      (e: unknown) => s.err(`baton: reloading the flows failed; they stay as they were: ${errorText(e)}\n`),
    );
  };
  const onHup = (): void => reload('SIGHUP');
  process.on('SIGHUP', onHup);
  let watcher: FSWatcher | undefined;
  try {
    // Editors write a file in several steps (truncate, write, rename): wait for them to settle.
    watcher = watch(baton.project.flowsDir, (_event, name) => {
      if (name !== null && !isFlowFileName(name) && !isTsFlowFileName(name)) return;
      clearTimeout(timer);
      timer = setTimeout(() => reload('a flow file changed'), RELOAD_DEBOUNCE_MS);
    });
    watcher.on('error', (e) =>
      s.err(
        `baton: no longer watching the flow files (${errorText(e)}); SIGHUP or baton reload still reload\n`,
      ),
    );
  } catch (e) {
    s.err(
      `baton: cannot watch ${baton.project.flowsDir} (${errorText(e)}); SIGHUP or baton reload reload the flows\n`,
    );
  }
  return {
    close() {
      clearTimeout(timer);
      watcher?.close();
      process.off('SIGHUP', onHup);
    },
  };
}

const RELOAD_DEBOUNCE_MS = 300;

function banner(
  s: Session,
  baton: BatonApi,
  storage: string,
  url: string,
  worker: boolean,
  firstToken: { user: string; token: string } | undefined,
  connectors: ConnectorsView,
  intake: string | undefined,
  triggers: Array<{ flow: string; triggers: Array<{ trigger: string; live: boolean; where: string }> }>,
): string {
  const p = baton.project;
  const flows = [...p.flows.values()];
  const lines: string[] = [];
  lines.push(`Baton ${VERSION} is serving ${url}`);
  lines.push(`  console  ${consoleLine(baton, url)}`);
  lines.push(`  project  ${p.file}`);
  lines.push(`  storage  ${storage}`);
  lines.push(`  worker   ${worker ? 'running in this process' : 'off (--no-worker): run one elsewhere'}`);
  lines.push(
    '  reload   on a change to a flow file, on SIGHUP or with baton reload (running handoffs keep their version)',
  );
  if (flows.length === 0)
    lines.push('  flows    none yet: add one under flows/ (baton schema flow helps editors)');
  for (const [i, f] of flows.entries())
    lines.push(
      `  ${i === 0 ? 'flows' : '     '}    ${f.def.id} (${f.def.mode}, ${f.def.boundary.from} -> ${f.def.boundary.to}) version ${f.version.slice(0, 12)}`,
    );
  // Which systems are live, and which flow steps run their built-in fallback instead.
  lines.push(
    `  connectors ${connectors.items.length ? connectors.items.map((c) => (c.name === c.type ? c.name : `${c.name} (${c.type})`)).join(', ') : 'none configured (baton.yaml `connectors:`; see baton connectors)'}`,
  );
  if (intake) lines.push(`  intake   ${intake}`);
  // Triggers beyond the intake route: where each flow takes work from, and which are off.
  const fed = triggers.flatMap((f) =>
    f.triggers
      .filter((t) => t.trigger !== 'webhook' && t.trigger !== 'manual')
      .map((t) => `${f.flow} ${t.trigger}: ${t.live ? '' : 'OFF '}${t.where}`),
  );
  for (const [i, line] of fed.entries()) lines.push(`  ${i === 0 ? 'triggers' : '        '} ${line}`);
  for (const [i, f] of connectors.fallbacks.entries())
    lines.push(
      `  ${i === 0 ? 'fallback' : '        '}   ${f.flow} ${f.entry}: ${f.use} is not configured, runs ${f.fallback}`,
    );
  if (firstToken) {
    lines.push('');
    lines.push(`First run: an admin token for ${firstToken.user}. It will not be shown again; keep it now:`);
    lines.push(`  ${firstToken.token}`);
  }
  const local = localFlags(s, baton);
  lines.push('');
  lines.push('Try:');
  const f = flows.find((x) => 'webhook' in x.def.trigger) ?? flows[0];
  if (f) {
    lines.push(
      `  curl -X POST ${url}/v1/flows/${f.def.id}/handoffs -H 'content-type: application/json' -d '${JSON.stringify(sampleInput(f))}'`,
    );
  }
  lines.push(`  npx baton ls${local}`);
  lines.push(`  npx baton show ID${local}`);
  lines.push(
    `  over HTTP: BATON_URL=${url} BATON_TOKEN=${firstToken ? firstToken.token.slice(0, 6) + '…' : '<token>'} npx baton ls`,
  );
  lines.push('Ctrl-C stops the server.');
  return `${lines.join('\n')}\n`;
}

function consoleLine(baton: BatonApi, url: string): string {
  if (!existsSync(path.join(CONSOLE_DIST, 'index.html'))) return 'not built: run npm run console:build';
  const readOnly = baton.project.def.server.auth.anonymous.includes('read');
  return `${url}/ (sign in with a token${readOnly ? '; read-only without one from this machine' : ''})`;
}

/** The flags another shell needs to reach the same project and store directly. */
function localFlags(s: Session, baton: BatonApi): string {
  let out = '';
  const rel = path.relative(process.cwd(), baton.project.dir);
  if (rel !== '') out += ` --project ${rel.startsWith('..') ? baton.project.dir : rel}`;
  if (s.storageOverride && s.typed.has('storage')) out += ` --storage ${s.storageOverride}`;
  return out;
}

/** An example payload: the flow's first eval case input, else its required fields with plausible values. */
export function sampleInput(f: CompiledFlow): Record<string, unknown> {
  try {
    const cases: unknown = parse(readFileSync(casesFileOf(f.file), 'utf8'));
    const input = Array.isArray(cases) ? (cases[0] as { input?: unknown } | undefined)?.input : undefined;
    if (input && typeof input === 'object' && !Array.isArray(input)) return input as Record<string, unknown>;
  } catch {
    // No cases file (or not readable): make one up from the schema.
  }
  const schema = f.def.input as { required?: string[]; properties?: Record<string, FieldSchema> };
  const out: Record<string, unknown> = {};
  for (const name of schema.required ?? []) out[name] = sampleValue(f, name, schema.properties?.[name] ?? {});
  return out;
}

interface FieldSchema {
  type?: string;
  enum?: unknown[];
  const?: unknown;
  default?: unknown;
  examples?: unknown[];
  format?: string;
  minimum?: number;
  exclusiveMinimum?: number;
}

/** A value the field's own schema accepts: what it names (const, enum, default, examples) first. */
function sampleValue(f: CompiledFlow, name: string, field: FieldSchema): unknown {
  if (field.const !== undefined) return field.const;
  if (field.enum?.length) return field.enum[0];
  if (field.default !== undefined) return field.default;
  if (field.examples?.length) return field.examples[0];
  const { type } = field;
  if (type === 'number' || type === 'integer') {
    const low = field.minimum ?? (field.exclusiveMinimum !== undefined ? field.exclusiveMinimum + 1 : 1);
    return Math.max(1, Math.ceil(low));
  }
  if (type === 'boolean') return true;
  if (field.format === 'date') return new Date().toISOString().slice(0, 10);
  if (field.format === 'date-time') return new Date().toISOString();
  if (field.format === 'email' || /email/i.test(name)) return 'jo@acme.com';
  if (name === 'id') return `${f.def.id.charAt(0).toUpperCase()}-1`;
  if (/company|account|customer|org/i.test(name)) return 'Acme';
  return 'example';
}
