// Time-ordered ids (UUID v7 layout): sortable by creation time, so inserts stay local in
// indexes. Random hex comes from a pooled buffer and the time prefix is cached per millisecond:
// ids are made several times per handoff on the hot path.
import { randomBytes } from 'node:crypto';

let pool = '';
let offset = 0;
let lastMs = -1;
let timeHex = '';

function randomHex(n: number): string {
  if (offset + n > pool.length) {
    pool = randomBytes(16_384).toString('hex');
    offset = 0;
  }
  const s = pool.slice(offset, offset + n);
  offset += n;
  return s;
}

const VARIANT = ['8', '9', 'a', 'b'];

export function newId(prefix = ''): string {
  const ms = Date.now();
  if (ms !== lastMs) {
    lastMs = ms;
    const t = ms.toString(16).padStart(12, '0');
    timeHex = `${t.slice(0, 8)}-${t.slice(8, 12)}-7`;
  }
  const r = randomHex(18);
  return `${prefix}${timeHex}${r.slice(0, 3)}-${VARIANT[r.charCodeAt(3) & 3]}${r.slice(4, 7)}-${r.slice(7, 18)}${randomHex(1)}`;
}
