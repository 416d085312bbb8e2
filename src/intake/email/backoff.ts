// Capped exponential backoff with jitter: attempt n waits between half and all of
// min(cap, base·2ⁿ), so pollers that lost the same server do not come back in step.
export function backoffMs(attempt: number, base: number, cap: number, random = Math.random): number {
  const ceiling = Math.min(cap, base * 2 ** Math.min(attempt, 30));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}
