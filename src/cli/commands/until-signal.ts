// Long-running commands (serve, worker) run until SIGINT or SIGTERM, then stop gracefully;
// a second signal exits at once.
import type { Session } from '../session.ts';

export function untilSignal(s: Session, shutdown: () => Promise<void>): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let stopping = false;
    const stop = (signal: NodeJS.Signals): void => {
      if (stopping) {
        s.err(`baton: ${signal} again: exiting without waiting\n`);
        process.exit(130);
      }
      stopping = true;
      s.err(`\n${signal}: stopping (finishing running steps)…\n`);
      shutdown().then(() => {
        s.err('stopped\n');
        resolve();
      }, reject);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
