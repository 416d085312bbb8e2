// Time-ordered ids (UUID v7 layout): sortable by creation time, so inserts stay local in indexes.
import { randomBytes } from 'node:crypto';

let pool = Buffer.alloc(0);
let offset = 0;

function random10(): Buffer {
  if (offset + 10 > pool.length) {
    pool = randomBytes(10 * 4096);
    offset = 0;
  }
  const b = pool.subarray(offset, offset + 10);
  offset += 10;
  return b;
}

export function newId(prefix = ''): string {
  const ms = Date.now();
  const r = random10();
  const hex =
    ms.toString(16).padStart(12, '0') +
    '7' +
    r.toString('hex', 0, 2).slice(1) +
    ((r[2]! & 0x3f) | 0x80).toString(16).padStart(2, '0') +
    r.toString('hex', 3, 10).slice(0, 14);
  const uuid = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
  return prefix + uuid;
}
