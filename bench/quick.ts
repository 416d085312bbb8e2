// A quick in-process run for profiling: `node bench/quick.ts [TOTAL] [--threaded]`.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runInProcess } from './inprocess.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'baton-bench-'));
const total = Number(process.argv.find((a) => /^\d+$/.test(a)) ?? 5000);
const threaded = process.argv.includes('--threaded');
try {
  console.log(await runInProcess('examples', `sqlite:${dir}/b.db`, total, 200, threaded));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
