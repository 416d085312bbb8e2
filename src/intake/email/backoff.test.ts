import { describe, expect, it } from 'vitest';
import { backoffMs } from './backoff.ts';

describe('backoffMs', () => {
  it('doubles from the base up to the cap, each wait between half and all of it', () => {
    const low = (n: number) => backoffMs(n, 100, 5000, () => 0);
    const high = (n: number) => backoffMs(n, 100, 5000, () => 1);
    expect([0, 1, 2, 3, 6, 40].map(high)).toEqual([100, 200, 400, 800, 5000, 5000]);
    expect([0, 1, 2, 3, 6, 40].map(low)).toEqual([50, 100, 200, 400, 2500, 2500]);
  });
});
