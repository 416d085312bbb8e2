// The /metrics scrape passes `promtool check metrics` (Prometheus's own linter) after traffic.
// promtool comes with Debian's `prometheus` package; CI installs it (.ci/run) and, with CI set,
// a missing promtool fails this test instead of skipping it.
import { spawnSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { startTemp, type TempServer } from './helpers.ts';

let s: TempServer | undefined;
afterEach(async () => {
  await s?.close();
  s = undefined;
});

const found = spawnSync('promtool', ['--version'], { encoding: 'utf8' });
const hasPromtool = found.status === 0;
const inCi = !!process.env.CI;

describe('the Prometheus scrape', () => {
  it.skipIf(!hasPromtool && !inCi)('passes promtool check metrics after traffic', async () => {
    expect(hasPromtool, 'promtool is missing: apt-get install prometheus').toBe(true);
    s = await startTemp();
    const kim = await s.token('kim', 'viewer');
    const id = await s.send({ id: 'P1', company: 'Acme', email: 'jo@acme.com' });
    const accepted = await s.call('POST', `/v1/handoffs/${id}/accept`, { token: kim, body: {} });
    expect(accepted.status).toBe(200);
    await s.send({ id: 'P2', company: 'Beta', email: 'bo@beta.com' });
    const scrape = await s.call('GET', '/metrics');
    expect(scrape.status).toBe(200);
    expect(scrape.text).toMatch(/baton_handoffs_total\{/);
    const check = spawnSync('promtool', ['check', 'metrics'], { input: scrape.text, encoding: 'utf8' });
    expect(`${check.stdout}${check.stderr}`).toBe('');
    expect(check.status).toBe(0);
  });
});
