// The `baton` command line: global options, the help text, and every command.
import { readFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { Session } from './session.ts';
import { registerProjectCommands } from './commands/project.ts';
import { registerHandoffCommands } from './commands/handoffs.ts';
import { registerAdminCommands } from './commands/admin.ts';
import { registerServe } from './commands/serve.ts';
import { registerWorker } from './commands/worker.ts';
import { registerReplay } from './commands/replay.ts';
import { registerReload } from './commands/reload.ts';
import { registerConnectors } from './commands/connectors.ts';
import { registerIntake } from './commands/intake.ts';

const EPILOGUE = `
Modes:
  With BATON_URL (and BATON_TOKEN) set, commands talk to that server over HTTP and the token
  names the acting user. Otherwise they open the project's store directly: the project is
  --project, BATON_PROJECT or the working directory; the store is --storage, BATON_DATABASE_URL
  or baton.yaml's storage; --as USER names the person acting (needed to accept, decline,
  return, reassign, complete, cancel, roll back, retry, resolve, approve and reject).
  init, validate, schema and eval work on the project's files in either mode; migrate, token
  and replay work on the store directly and refuse to run with BATON_URL set (unset it).

Output:
  Tables and timelines for people; --json prints the HTTP API's JSON shapes for scripts.

Exit codes:
  0  ok
  1  failure: not found, invalid transition or conflict (HTTP 404/409), forbidden (401/403),
     server unreachable or failing (5xx), failed eval cases, audit problems
  2  bad usage or input: unknown command or option, invalid JSON argument, input that does not
     match the flow's schema, invalid project or flow files (HTTP 400/413/422)

Errors print "baton: message" and one line per detail; BATON_DEBUG=1 adds the stack trace.

Try:
  baton init my-project && cd my-project && baton serve
  baton send lead-to-owner '{"id":"L-1","company":"Acme","email":"jo@acme.com"}'
  baton ls --state handed_off
  baton show ID
  baton accept ID --as kim
`;

export function buildProgram(env: NodeJS.ProcessEnv = process.env): Command {
  const program = new Command('baton');
  program
    .description(
      'Durable AI handoff agents: owners, approvals, evidence and logs for work that crosses a boundary.',
    )
    .version(VERSION, '-V, --version')
    .addOption(new Option('--json', 'print JSON (the HTTP API shapes) instead of tables'))
    .addOption(new Option('--project <dir>', 'project folder (holds baton.yaml)').env('BATON_PROJECT'))
    .addOption(
      new Option(
        '--storage <url>',
        'store URL, overrides baton.yaml (relative paths: from the working directory)',
      ).env('BATON_DATABASE_URL'),
    )
    .addOption(new Option('--as <user>', 'the person acting, in direct mode'))
    .configureHelp({ showGlobalOptions: true, sortSubcommands: false })
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({
      outputError: (str, write) => write(`baton: ${str.replace(/^error: /, '')}`),
    })
    .addHelpText('after', EPILOGUE);

  const session = (cmd: Command): Session => {
    const opts = cmd.optsWithGlobals();
    const typed = new Set(
      ['as', 'project', 'storage', 'json'].filter((k) => cmd.getOptionValueSourceWithGlobals(k) === 'cli'),
    );
    return new Session(
      { json: opts.json === true, project: opts.project, storage: opts.storage, as: opts.as },
      typed,
      { url: env.BATON_URL, token: env.BATON_TOKEN },
    );
  };

  registerProjectCommands(program, session);
  registerServe(program, session);
  registerReload(program, session);
  registerConnectors(program, session);
  registerIntake(program, session);
  registerWorker(program, session);
  registerHandoffCommands(program, session);
  registerAdminCommands(program, session);
  registerReplay(program, session);
  return program;
}

export const VERSION = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;
