import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { metricsSummary } from './summary.ts';
import { duration, formatReport, table } from './report.ts';
import { runScenario, type Scenario } from './scenario.fixture.ts';

let s: Scenario;
let text: string;
beforeAll(async () => {
  s = await runScenario();
  text = formatReport(await metricsSummary(s.baton.store, {}));
});
afterAll(async () => {
  await s?.close();
});

/** The lines of one section, up to the next blank line. */
function section(title: string): string[] {
  const lines = text.split('\n');
  const i = lines.indexOf(title);
  if (i < 0) throw new Error(`no section ${title}`);
  const end = lines.indexOf('', i);
  return lines.slice(i + 1, end < 0 ? undefined : end);
}

describe('baton report text', () => {
  it('states the scope and the headline figures', () => {
    expect(text.split('\n')[0]).toMatch(/^Baton report — all flows, all time \(generated \d{4}-/);
    expect(text).toContain(
      'Handoffs 12 · open 6 · completed 5 · escalated 8.3% · reworked 25% · SLA breached 1 (8.3%) · cost $0.00, $0.00 per completed handoff',
    );
  });

  it('prints aligned tables per flow and per boundary', () => {
    const flows = section('By flow');
    expect(flows[0]).toMatch(
      /^ {2}FLOW +HANDOFFS +OPEN +COMPLETED +ESCALATED +REWORKED +SLA BREACHES +COST\/COMPLETED$/,
    );
    const lead = flows.find((l) => l.includes('lead-to-owner'))!;
    expect(lead.trim().split(/\s{2,}/)).toEqual([
      'lead-to-owner',
      '7',
      '4',
      '2',
      '14.3%',
      '28.6%',
      '1',
      '$0.00',
    ]);
    // Right-aligned: every row ends at the same column as the header.
    for (const l of flows) expect(l.length).toBe(flows[0]!.length);
    const boundaries = section('By boundary');
    expect(boundaries.map((l) => l.trim().split(/\s{2,}/)[0])).toEqual([
      'BOUNDARY',
      'team:marketing->team:sales-ops',
      'team:support->team:eng-tier2',
      'team:support->team:finance',
    ]);
  });

  it('shows latency, queues, rework, escalations, approvals and shadow agreement', () => {
    const latency = section('Latency by boundary (p50 / p90)');
    expect(latency[1]).toMatch(/^ {2}team:marketing->team:sales-ops +\d[\d.]*(s|m) \/ \d/);
    const owners = section('Waiting now, by owner');
    expect(
      owners
        .find((l) => l.includes('team:sales-ops'))!
        .trim()
        .split(/\s{2,}/)
        .slice(0, 6),
    ).toEqual(['team:sales-ops', '1', '0', '1', '0', '1']);
    expect(
      section('Rework by return reason')
        .slice(1)
        .map((l) => l.trim().split(/\s{2,}/)),
    ).toEqual([
      ['lead-to-owner', 'missing_info', '0', '1', '1'],
      ['lead-to-owner', 'wrong_owner', '1', '0', '1'],
    ]);
    expect(section('Rework by decision').some((l) => /billing +human +1 +1 +1 +100%/.test(l))).toBe(true);
    expect(
      section('Escalations by reason')[1]!
        .trim()
        .split(/\s{2,}/),
    ).toEqual(['lead-to-owner', 'sla_breach', '1', '1', '14.3%']);
    const approvals = section('Approvals');
    expect(
      approvals
        .find((l) => l.trimStart().startsWith('all'))!
        .trim()
        .split(/\s{2,}/)
        .slice(0, 6),
    ).toEqual(['all', '4', '3', '1', '0', '0']);
    expect(approvals.at(-2)).toBe('  decided by: human 4');
    expect(approvals.at(-1)).toBe(
      '  timeouts: 0 · edited by approvers: 0 · reminders: 0 · votes by delegation: 0 · voided: 0',
    );
    expect(
      section('Shadow mode agreement')[1]!
        .trim()
        .split(/\s{2,}/),
    ).toEqual(['triage', '3', '2', '1', '50%', 'not yet']);
  });

  it('says (none) for empty sections', async () => {
    const empty = formatReport(await metricsSummary(s.baton.store, { flow: 'no-such-flow' }));
    expect(empty).toContain('flow no-such-flow, all time');
    expect(empty).toContain('By flow\n  (none)');
    expect(empty).not.toContain('Shadow mode');
  });
});

describe('report helpers', () => {
  it('formats durations in readable units', () => {
    expect(duration(null)).toBe('-');
    expect(duration(0)).toBe('0s');
    expect(duration(0.25)).toBe('0.25s');
    expect(duration(4.56)).toBe('4.6s');
    expect(duration(45)).toBe('45s');
    expect(duration(150)).toBe('2.5m');
    expect(duration(1800)).toBe('30m');
    expect(duration(3 * 3600 + 1800)).toBe('3.5h');
    expect(duration(3 * 86_400)).toBe('3d');
  });

  it('aligns tables', () => {
    expect(
      table(
        ['NAME', 'N'],
        [
          ['a', '1'],
          ['long name', '100'],
        ],
      ),
    ).toEqual(['  NAME         N', '  a            1', '  long name  100']);
    expect(table(['NAME'], [])).toEqual(['  (none)']);
  });
});
