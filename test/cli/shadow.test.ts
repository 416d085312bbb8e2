// Shadow mode through the CLI: handoffs show their mode (a recorded decision is not completed
// work), `baton observed` records where people routed the work, once, and eval judges the
// decision.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXAMPLES } from '../support/project.ts';
import type { HandoffView } from '../../src/service/views.ts';
import { fresh } from './run.ts';

const shadowFlow = readFileSync(path.join(EXAMPLES, 'flows/lead-to-owner.yaml'), 'utf8')
  .replace('id: lead-to-owner', 'id: lead-shadow')
  .replace(/^mode: auto.*$/m, 'mode: shadow');
const cases = readFileSync(path.join(EXAMPLES, 'flows/lead-to-owner.cases.yaml'), 'utf8');

describe('shadow mode in the CLI', () => {
  it('ls and show mark shadow handoffs; observed records once; eval passes', async ({ onTestFinished }) => {
    const p = fresh(onTestFinished, {
      'flows/lead-shadow.yaml': shadowFlow,
      'flows/lead-shadow.cases.yaml': cases,
    });
    const lead = JSON.stringify({ id: 'S-1', company: 'Acme', email: 'jo@acme.com' });
    const id = (await p.run(['send', 'lead-shadow', lead])).stdout.split(' ')[0]!;
    await p.run(['send', 'lead-to-owner', lead]);

    const ls = await p.run(['ls']);
    expect(ls.stdout).toMatch(/^ID +FLOW +MODE +STATE +OWNER/);
    expect(ls.stdout).toContain(`${id}  lead-shadow    shadow  recorded (shadow)`);
    expect(ls.stdout).toMatch(/lead-to-owner  auto    handed_off/);

    const show = await p.run(['show', id]);
    expect(show.stdout.split('\n')[0]).toBe(
      `${id}  lead-shadow  completed  SHADOW: decided only; nothing was handed off or run`,
    );
    expect(show.stdout).toContain(`  observed  not yet: baton observed ${id} --owner OWNER`);

    const noted = await p.run(['observed', 'lead-shadow/S-1', '--owner', 'team:smb-sales', '--as', 'ops']);
    expect(noted.stderr).toBe('');
    expect(noted.stdout).toBe(
      `${id} observed: people routed it to team:smb-sales; the flow would have chosen user:kim (disagreed)\n`,
    );
    expect((await p.run(['show', id])).stdout).toMatch(
      /observed {2}people routed it to team:smb-sales \(differs from the decision\) recorded by ops /,
    );
    // The same observation again (a retry) is fine; a different one is refused, naming the first.
    const again = await p.json<HandoffView>(['observed', id, '--owner', 'team:smb-sales', '--as', 'ops']);
    expect(again.observed).toMatchObject({ owner: 'team:smb-sales', agreed: false, by: 'ops' });
    const other = await p.run(['observed', id, '--owner', 'kim', '--as', 'ops']);
    expect(other.code).toBe(1);
    expect(other.stderr).toMatch(
      new RegExp(
        `^baton: Handoff ${id} was observed already: people routed it to team:smb-sales \\(recorded by ops at \\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z\\); an observation is recorded once\\n`,
      ),
    );
    const events = (await p.json<HandoffView>(['show', id])).events.filter((e) => e.type === 'observed');
    expect(events).toHaveLength(1);

    const notShadow = await p.run(['observed', 'lead-to-owner/S-1', '--owner', 'kim', '--as', 'ops']);
    expect(notShadow.code).toBe(1);
    expect(notShadow.stderr).toContain('is not a shadow-mode handoff');

    const ev = await p.run(['eval', 'lead-shadow']);
    expect(ev.code).toBe(0);
    expect(ev.stdout).toContain('lead-shadow is a shadow flow: its cases judge the decision');
    expect(ev.stdout).toMatch(/\d+ cases in 1 flow: \d+ passed, 0 failed/);
  });
});
