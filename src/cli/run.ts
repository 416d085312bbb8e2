// Runs the `baton` command line (main.ts loads this file once the compile cache is on).
import { CommanderError } from 'commander';
import { buildProgram } from './program.ts';
import { EXIT_OK, EXIT_USAGE, exitCodeOf, ExitError, formatError } from './errors.ts';
import { escapeControls } from './terminal-text.ts';

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return EXIT_OK;
  } catch (e) {
    if (e instanceof CommanderError) {
      // Commander has printed its message (or the help) already; help asked for exits 0.
      return e.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
    }
    if (!(e instanceof ExitError)) process.stderr.write(escapeControls(formatError(e)));
    return exitCodeOf(e);
  }
}
