// The CLI's small parts, in process: exit codes, error text, tables, times, the progress bar.
import { describe, expect, it } from 'vitest';
import { BatonError } from '../../src/core/errors.ts';
import { ApiError } from '../../src/core/api-error.ts';
import { ExitError, exitCodeOf, formatError, UsageError } from '../../src/cli/errors.ts';
import { ago, table } from '../../src/cli/format.ts';
import { parseSince, readJsonArg } from '../../src/cli/input.ts';
import { progressBar } from '../../src/cli/progress.ts';
import { eventSummary } from '../../src/cli/show.ts';

describe('exit codes', () => {
  it('bad input is 2, failures are 1', () => {
    expect(exitCodeOf(new UsageError('x'))).toBe(2);
    expect(exitCodeOf(new BatonError('validation_failed', 'x'))).toBe(2);
    expect(exitCodeOf(new BatonError('flow_invalid', 'x'))).toBe(2);
    expect(exitCodeOf(new BatonError('not_found', 'x'))).toBe(1);
    expect(exitCodeOf(new BatonError('invalid_transition', 'x'))).toBe(1);
    expect(exitCodeOf(new BatonError('forbidden', 'x'))).toBe(1);
    expect(exitCodeOf(new ApiError(422, 'validation_failed', 'x'))).toBe(2);
    expect(exitCodeOf(new ApiError(400, '', 'x'))).toBe(2);
    expect(exitCodeOf(new ApiError(404, 'not_found', 'x'))).toBe(1);
    expect(exitCodeOf(new ApiError(409, 'already_decided', 'x'))).toBe(1);
    expect(exitCodeOf(new ApiError(503, 'store_error', 'x'))).toBe(1);
    expect(exitCodeOf(new ExitError(1))).toBe(1);
    expect(exitCodeOf(new Error('boom'))).toBe(1);
  });
});

describe('formatError', () => {
  it('prints the message and one line per detail, with no stack', () => {
    const e = new BatonError('validation_failed', 'the input does not match', {
      details: [
        { path: 'email', message: 'is required' },
        { file: '/p/flows/a.yaml', line: 3, column: 7, path: 'decide.rules[0].when', message: 'CEL: bad' },
      ],
    });
    expect(formatError(e, false)).toBe(
      'baton: the input does not match\n  email: is required\n  /p/flows/a.yaml:3:7: decide.rules[0].when: CEL: bad\n',
    );
    expect(formatError(e, true)).toMatch(/\n {4}at /);
  });

  it('does not repeat details the message already lists', () => {
    const e = new BatonError('flow_invalid', '/p/f.yaml: actions[0].use: unknown action x', {
      details: [{ file: '/p/f.yaml', path: 'actions[0].use', message: 'unknown action x' }],
    });
    expect(formatError(e, false)).toBe(
      'baton: invalid flows: 1 problem\n  /p/f.yaml: actions[0].use: unknown action x\n',
    );
  });

  it('names the HTTP status of server errors', () => {
    expect(formatError(new ApiError(404, 'not_found', 'handoff h does not exist'), false)).toBe(
      'baton: handoff h does not exist\n  (HTTP 404 not_found)\n',
    );
  });
});

describe('input', () => {
  it('reads JSON text and rejects invalid JSON as bad usage', () => {
    expect(readJsonArg('{"a":1}')).toEqual({ a: 1 });
    expect(() => readJsonArg('{a:1}')).toThrow(UsageError);
  });

  it('parses --since as a duration back from now or an ISO date', () => {
    const now = Date.UTC(2026, 0, 10);
    expect(parseSince('7d', now)).toBe(now - 7 * 86_400_000);
    expect(parseSince('2026-01-02', now)).toBe(Date.UTC(2026, 0, 2));
    expect(() => parseSince('last week', now)).toThrow(/neither a duration/);
  });
});

describe('output', () => {
  it('aligns table columns', () => {
    expect(
      table(
        ['ID', 'STATE'],
        [
          ['a', 'handed_off'],
          ['long-id', 'x'],
        ],
      ),
    ).toBe('ID       STATE\na        handed_off\nlong-id  x\n');
  });

  it('says how long ago', () => {
    const now = 1_000_000_000;
    expect(ago(now - 300_000, now)).toBe('5m ago');
    expect(ago(now - 4_200, now)).toBe('4.2s ago');
    expect(ago(now - 90 * 60_000, now)).toBe('1.5h ago');
    expect(ago(new Date(now - 200).toISOString(), now)).toBe('just now');
    expect(ago(now + 3_600_000, now)).toBe('in 1h');
    expect(ago(undefined, now)).toBe('-');
  });

  it('summarizes events with the fields people look for', () => {
    expect(eventSummary('handed_off', { from: 'agent:f', to: 'user:kim' })).toBe('agent:f → user:kim');
    expect(
      eventSummary('decided', {
        owner: 'team:x',
        by: 'rule',
        rule: { index: 1, name: 'big', when: 'true' },
        actions: ['task'],
        reads: { 'input.amount': 5 },
        policyVersions: {},
      }),
    ).toBe('→ team:x by rule "big", actions task');
    expect(
      eventSummary('action_failed', { action: 'crm', use: 'http.post', error: 'timeout', retryable: true }),
    ).toBe('crm  error=timeout  retryable=true');
  });
});

describe('progress bar', () => {
  it('draws on a terminal and stays silent otherwise', () => {
    const writes: string[] = [];
    const tty = {
      isTTY: true,
      columns: 80,
      write: (s: string) => writes.push(s),
    } as unknown as NodeJS.WriteStream;
    const bar = progressBar(4, 'sending', tty);
    for (let i = 0; i < 4; i++) bar.tick();
    bar.done();
    expect(writes.join('')).toMatch(/\rsending \[#+\] 4\/4 100%/);
    expect(writes.at(-1)).toBe('\n');

    const piped: string[] = [];
    const pipe = { isTTY: false, write: (s: string) => piped.push(s) } as unknown as NodeJS.WriteStream;
    const quiet = progressBar(4, 'sending', pipe);
    quiet.tick(4);
    quiet.done();
    expect(piped).toEqual([]);
  });
});
