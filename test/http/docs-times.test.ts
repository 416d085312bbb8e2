// docs/http.md shows answers as the API gives them: every time is an ISO 8601 string (the
// response schemas say so), never epoch milliseconds.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../support/project.ts';

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$/;

describe('docs/http.md examples', () => {
  it('write every time field as an ISO string', () => {
    const text = readFileSync(path.join(ROOT, 'docs', 'http.md'), 'utf8');
    // A JSON key that names a time (`at`, `createdAt`, `timeoutAt`, …) and the value after it.
    const fields = [...text.matchAll(/"(at|\w+At)"\s*:\s*("[^"]*"|[^,}\]\s]+)/g)].map((m) => [m[1], m[2]]);
    expect(fields.length).toBeGreaterThanOrEqual(10);
    const wrong = fields.filter(([, v]) => !v!.startsWith('"') || !ISO.test(v!.slice(1, -1)));
    expect(wrong).toEqual([]);
  });
});
