// `baton worker`: a worker only (no HTTP), for scale-out: any number of them, on any machines,
// share one store (PostgreSQL) with `baton serve --no-worker` processes.
import type { Command } from 'commander';
import { withSession, type Session, type SessionFor } from '../session.ts';
import { untilSignal } from './until-signal.ts';

export function registerWorker(program: Command, sessionFor: SessionFor): void {
  program
    .command('worker')
    .description('run a worker only: claim and advance handoffs until SIGINT or SIGTERM (no HTTP)')
    .action(withSession(sessionFor, (s) => work(s)));
}

async function work(s: Session): Promise<void> {
  const { Baton } = await import('../../service/baton.ts');
  const baton = await Baton.open({
    dir: s.projectDir,
    ...(s.storageOverride ? { storage: s.storageOverride } : {}),
    worker: true,
    threadedWriter: true,
  });
  baton.engine.start();
  const flows = baton.engine.flowList().map((f) => f.def.id);
  s.out(
    `Baton worker ${baton.engine.workerId}\n  storage  ${await s.storageOf(baton)}\n  flows    ${flows.join(', ')}\nCtrl-C stops it (running steps finish first).\n`,
  );
  await untilSignal(s, () => baton.close());
}
