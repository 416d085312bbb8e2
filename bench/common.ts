// Shared bits of the benchmark.
export interface RunFigures {
  handoffs: number;
  seconds: number;
  perSecond: number;
  p50: number;
  p99: number;
  commitsPerTransaction?: number;
  coalesced?: number;
  transactions?: number;
}

const DOMAINS = ['acme.com', 'globex.com', 'initech.com', 'example.org', 'newco.io'];

/** A lead-to-owner input; a mix that exercises the lookup, both size rules and otherwise. */
export function leadInput(i: number): Record<string, unknown> {
  const input: Record<string, unknown> = {
    id: `bench-${i}`,
    company: `Company ${i}`,
    email: `buyer${i}@${DOMAINS[i % DOMAINS.length]}`,
  };
  if (i % 3 !== 0) input.amount = (i % 7) * 1500 + 500;
  return input;
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}
