import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runInProcess } from './inprocess.ts';
const dir = mkdtempSync(path.join(tmpdir(), 'baton-bench-'));
const r = await runInProcess('examples', `sqlite:${dir}/b.db`, Number(process.argv[2] ?? 5000), 200);
console.log(r);
