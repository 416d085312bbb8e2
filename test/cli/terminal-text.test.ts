// Text from intake must not drive the terminal: ANSI and OSC sequences, CR, BEL and bidi
// overrides in a handoff's input are shown escaped by every human command; --json stays exact.
import { describe, expect, it } from 'vitest';
import { escapeControls, oneLine } from '../../src/cli/terminal-text.ts';
import type { HandoffView } from '../../src/service/views.ts';
import { fresh } from './run.ts';

// Clear screen, set the window title, carriage return, bell, right-to-left override.
const hostile = 'Acme\u001b[2J\u001b]0;owned\u0007\rX\u202eZ';
const input = { id: 'L-\u001b[31mred\nkey', company: hostile, email: 'jo@acme.com' };
/** Anything a terminal would act on; tabs and newlines are layout and may stay. */
// oxlint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/u;

describe('control characters in human output', () => {
  it('escapes them visibly and keeps layout characters where they belong', () => {
    expect(escapeControls('a\u001b[2Jb\tc\nd\u0007\r\u0085\u202e\u2066')).toBe(
      'a\\x1b[2Jb\tc\nd\\x07\\r\\x85\\u202e\\u2066',
    );
    expect(oneLine('one\ntwo\tthree')).toBe('one\\ntwo\\tthree');
    expect(escapeControls('plain – text, ünïcode ✓')).toBe('plain – text, ünïcode ✓');
  });

  it('show, ls, tasks, inbox and errors print no control character from the input', async ({
    onTestFinished,
  }) => {
    const p = fresh(onTestFinished);
    const sent = await p.run(['send', 'lead-to-owner', JSON.stringify(input)]);
    expect(sent.code).toBe(0);
    const id = sent.stdout.split(' ')[0]!;

    const show = await p.run(['show', id]);
    expect(show.code).toBe(0);
    expect(show.stdout).not.toMatch(CONTROL);
    // The input is shown as JSON (which escapes C0 itself); the bidi override is escaped too.
    expect(show.stdout).toContain('"company":"Acme\\u001b[2J\\u001b]0;owned\\u0007\\rX\\u202eZ"');
    // The key holds a newline: it stays on its own line, escaped.
    expect(show.stdout).toMatch(/ {2}key {7}L-\\x1b\[31mred\\nkey {3}flow version/);

    for (const args of [['ls'], ['tasks', '--owner', 'kim'], ['inbox', '--owner', 'kim']]) {
      const r = await p.run(args);
      expect([args, r.code]).toEqual([args, 0]);
      expect(r.stdout).not.toMatch(CONTROL);
    }
    const tasks = await p.run(['tasks', '--owner', 'kim']);
    expect(tasks.stdout).toContain('Call Acme\\x1b[2J\\x1b]0;owned\\x07\\rX\\u202eZ');
    const inbox = await p.run(['inbox', '--owner', 'kim']);
    expect(inbox.stdout).toContain('New lead: Acme\\x1b[2J');

    const missing = await p.run(['show', 'h_\u001b[2J']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe('baton: handoff h_\\x1b[2J does not exist\n');

    // Scripts get the exact text back.
    const json = await p.json<HandoffView>(['show', id]);
    expect(json.input).toEqual(input);
  });
});
