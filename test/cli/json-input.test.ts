// JSON from the command line (text, @file, @-) is held to the HTTP API's rules: bytes that are
// not UTF-8, NUL characters and lone surrogate escapes are refused with their byte position in
// direct mode too, and nothing is stored.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { fresh } from './run.ts';

describe('JSON input on the command line', () => {
  it('refuses lone surrogates, NUL and bad UTF-8 with the byte position; stores nothing', async ({
    onTestFinished,
  }) => {
    const p = fresh(onTestFinished);
    const send = (arg: string) => p.run(['send', 'lead-to-owner', arg, '--as', 'sam']);

    // A clean surrogate pair (an emoji) is fine.
    const ok = await send('{"id":"E\\ud83d\\ude00","company":"Acme","email":"jo@acme.com"}');
    expect(ok.code).toBe(0);

    const surrogate = await send('{"id":"CL\\ud800","company":"Acme","email":"jo@acme.com"}');
    expect([surrogate.code, surrogate.stderr]).toEqual([
      2,
      expect.stringContaining('has a lone surrogate escape at byte 9'),
    ]);
    const nul = await send('{"id":"N\\u0000","company":"Acme","email":"jo@acme.com"}');
    expect([nul.code, nul.stderr]).toEqual([2, expect.stringContaining('NUL character')]);

    const file = path.join(p.dir, 'bad.json');
    writeFileSync(
      file,
      Buffer.concat([
        Buffer.from('{"id":"B1","company":"Ac'),
        Buffer.from([0xff, 0xfe]),
        Buffer.from('me"}'),
      ]),
    );
    const bytes = await send(`@${file}`);
    expect([bytes.code, bytes.stderr]).toEqual([2, expect.stringContaining('is not valid UTF-8 at byte 24')]);

    const ls = await p.run(['ls', '--json']);
    expect(ls.code).toBe(0);
    // Only the clean one was stored.
    expect((JSON.parse(ls.stdout) as { items: unknown[] }).items).toHaveLength(1);
  }, 60_000);
});
