// Entry point of the `baton` command (bin/baton.js imports this file). The compile cache keeps
// start-up near 0.3 s: type stripping and compiling the sources is otherwise most of a run.
import module from 'node:module';

module.enableCompileCache?.();
// `baton audit export | head`: a reader that stops early is not an error.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw e;
});
const { main } = await import('./run.ts');
const code = await main(process.argv.slice(2));
process.exitCode = code;
// Exit once both streams have flushed, so piped output is never cut off.
process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
