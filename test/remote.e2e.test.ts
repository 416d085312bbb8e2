// RemoteBaton: the service on an engine thread. Calls and errors cross the thread boundary;
// if the engine thread dies, pending and later calls fail and the owner hears about it.
import { afterEach, describe, expect, it } from 'vitest';
import path from 'node:path';
import type { Worker } from 'node:worker_threads';
import { RemoteBaton } from '../src/service/remote.ts';
import { tempProject, intakeActor } from './support/project.ts';

let project: ReturnType<typeof tempProject> | undefined;
afterEach(() => project?.cleanup());

describe('RemoteBaton', () => {
  it('runs intake and commands on the engine thread and reads on this one', async () => {
    project = tempProject();
    const remote = await RemoteBaton.open({
      dir: project.dir,
      storage: `sqlite:${path.join(project.dir, 'data', 'b.db')}`,
      worker: true,
    });
    remote.startWorker();
    const r = await remote.send(
      'lead-to-owner',
      { id: 'R-1', company: 'Acme', email: 'a@acme.com' },
      intakeActor,
    );
    expect(r.created).toBe(true);
    let view = await remote.get(r.id);
    for (let i = 0; i < 50 && view.state !== 'handed_off'; i++) {
      await new Promise((res) => setTimeout(res, 20));
      view = await remote.get(r.id);
    }
    expect(view).toMatchObject({ state: 'handed_off', owner: 'user:kim' });
    expect((await remote.store.get(r.id))?.handoff.state).toBe('handed_off');
    await expect(remote.accept(r.id, { user: 'lee', access: 'viewer' })).rejects.toMatchObject({
      code: 'forbidden',
    });
    await expect(remote.send('lead-to-owner', { id: 'R-2' }, intakeActor)).rejects.toMatchObject({
      code: 'validation_failed',
      details: expect.arrayContaining([expect.objectContaining({ path: expect.stringContaining('input') })]),
    });
    expect(remote.flows().map((f) => f.id)).toContain('lead-to-owner');
    expect(await remote.metricsText()).toContain('baton_handoffs_total');
    await remote.close();
  });

  it('tells its owner when the engine thread dies, and fails every call after', async () => {
    project = tempProject();
    let fatal: Error | undefined;
    const remote = await RemoteBaton.open(
      { dir: project.dir, storage: `sqlite:${path.join(project.dir, 'data', 'b.db')}` },
      (e) => (fatal = e),
    );
    await (remote as unknown as { worker: Worker }).worker.terminate();
    await new Promise((res) => setTimeout(res, 50));
    expect(fatal?.message).toMatch(/engine thread exited/);
    await expect(
      remote.send('lead-to-owner', { id: 'x', company: 'c', email: 'e' }, intakeActor),
    ).rejects.toMatchObject({ code: 'store_error' });
  });
});
