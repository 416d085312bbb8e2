// Long-running commands (serve, worker) run until SIGINT or SIGTERM, then stop gracefully;
// a second signal exits at once.
import type { Session } from '../session.ts';

export function untilSignal(s: Session, shutdown: () => Promise<void>): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    // The engine's own timers are unref'd and a database that is away holds no connection: this
    // handle keeps a worker alive until it is told to stop.
    const alive = setInterval(() => {}, 1 << 30);
    let stopping = false;
    const stop = (signal: NodeJS.Signals): void => {
      if (stopping) {
        s.err(`baton: ${signal} again: exiting without waiting\n`);
        process.exit(130);
      }
      stopping = true;
      s.err(`\n${signal}: stopping (finishing running steps)…\n`);
      shutdown()
        .finally(() => clearInterval(alive))
        .then(() => {
          s.err('stopped\n');
          resolve();
        }, reject);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
