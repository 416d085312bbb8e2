import { readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { BatonError } from '../core/errors.ts';
import { applyFlowChanges, type FlowChange } from './edit.ts';
import type { PathSeg } from './yaml-source.ts';
import { hunksOf, matchLines, unifiedDiff } from './line-diff.ts';
import { padLists, paddingOf } from './yaml-style.ts';

const EXAMPLES = path.join(import.meta.dirname, '../../examples/flows');
const lead = readFileSync(path.join(EXAMPLES, 'lead-to-owner.yaml'), 'utf8');
const support = readFileSync(path.join(EXAMPLES, 'support-escalation.yaml'), 'utf8');

/** The lines removed and added by a change, without the diff's headers and context. */
function changed(before: string, after: string): { removed: string[]; added: string[] } {
  const lines = unifiedDiff(before, after, 'f').split('\n').slice(2);
  return {
    removed: lines.filter((l) => l.startsWith('-')).map((l) => l.slice(1)),
    added: lines.filter((l) => l.startsWith('+')).map((l) => l.slice(1)),
  };
}

const comments = (text: string) => text.split('\n').filter((l) => /(^|\s)#/.test(l));

describe('applyFlowChanges', () => {
  it('changes a rule in place: one line, its quoting kept, every comment kept', () => {
    const out = applyFlowChanges(lead, [
      {
        op: 'set',
        path: ['decide', 'rules', 1, 'when'],
        value: 'has(input.amount) && input.amount > 8000.0',
      },
    ]);
    expect(changed(lead, out)).toEqual({
      removed: ["      when: 'has(input.amount) && input.amount > 5000.0'"],
      added: ["      when: 'has(input.amount) && input.amount > 8000.0'"],
    });
    expect(comments(out)).toEqual(comments(lead));
  });

  it('keeps the comment on the line of a changed scalar', () => {
    const out = applyFlowChanges(lead, [
      { op: 'set', path: ['mode'], value: 'shadow' },
      { op: 'set', path: ['handoff', 'acceptWithin'], value: '30m' },
    ]);
    expect(changed(lead, out).added).toEqual([
      'mode: shadow # shadow: decide only and record; suggest: a person confirms each decision',
      '  acceptWithin: 30m # the SLA: not accepted within 15 minutes is a breach',
    ]);
  });

  it("writes new lines in the file's style: unpadded lists, flow-style ladder steps", () => {
    const out = applyFlowChanges(lead, [
      {
        op: 'insert',
        path: ['decide', 'rules', 3],
        value: { name: 'big', when: 'input.amount > 1.0', owner: 'team:x', actions: ['task'] },
      },
      { op: 'insert', path: ['handoff', 'escalate', 3], value: { after: '4h', decide: 'cancel' } },
      {
        op: 'set',
        path: ['actions', 1, 'approval', 'levels', 0, 'approvers'],
        value: ['role:sales-manager', 'user:dana'],
      },
    ]);
    const { removed, added } = changed(lead, out);
    expect(added).toEqual([
      '    - name: big',
      '      when: input.amount > 1.0',
      '      owner: team:x',
      '      actions: [task]',
      '      levels: [{ approvers: [role:sales-manager, user:dana], quorum: 1 }]',
      '    - { after: 4h, decide: cancel }',
    ]);
    expect(removed).toEqual(['      levels: [{ approvers: [role:sales-manager], quorum: 1 }]']);
    const data = parse(out);
    expect(data.decide.rules[3]).toEqual({
      name: 'big',
      when: 'input.amount > 1.0',
      owner: 'team:x',
      actions: ['task'],
    });
    expect(data.handoff.escalate.at(-1)).toEqual({ after: '4h', decide: 'cancel' });
  });

  it('moves and deletes list items, and the result means exactly the edit', () => {
    const out = applyFlowChanges(lead, [
      { op: 'move', path: ['decide', 'rules', 0], to: 2 },
      { op: 'delete', path: ['handoff', 'escalate', 0] },
      { op: 'delete', path: ['guardrails'] },
    ]);
    const before = parse(lead);
    const after = parse(out);
    expect(after.decide.rules.map((r: { name: string }) => r.name)).toEqual([
      'enterprise',
      'smb',
      'existing account',
    ]);
    expect(after.handoff.escalate).toEqual(before.handoff.escalate.slice(1));
    expect(after.guardrails).toBeUndefined();
    expect({
      ...after,
      decide: before.decide,
      handoff: before.handoff,
      guardrails: before.guardrails,
    }).toEqual(before);
  });

  it('touches only the changed value of a flow map the yaml package would rejoin', () => {
    const out = applyFlowChanges(support, [
      { op: 'set', path: ['decide', 'rules', 0, 'actions'], value: ['ticket'] },
    ]);
    expect(changed(support, out)).toEqual({
      removed: ['      actions: [ticket, note, page, reply, csm]'],
      added: ['      actions: [ticket]'],
    });
  });

  it('names the change whose path does not fit the file', () => {
    const bad: FlowChange[] = [
      { op: 'set', path: ['mode'], value: 'auto' },
      { op: 'delete', path: ['decide', 'rules', 9] },
      { op: 'insert', path: ['mode', 0], value: 'x' },
      { op: 'move', path: ['decide', 'rules', 0], to: 7 },
      { op: 'set', path: ['mode', 'x'], value: 1 },
    ];
    let error: unknown;
    try {
      applyFlowChanges(lead, bad);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(BatonError);
    expect((error as BatonError).code).toBe('validation_failed');
    expect((error as BatonError).details.map((d) => d.path)).toEqual([
      'changes[1].path',
      'changes[2].path',
      'changes[3].path',
      'changes[4].path',
    ]);
    expect((error as BatonError).details[0]!.message).toMatch(/decide\.rules\[9\]: nothing is there/);
  });
});

describe('applyFlowChanges on any scalar text', () => {
  it('sets exactly the values asked, changes only their lines and keeps every comment', () => {
    // Values with what YAML treats specially: quotes, brackets, colons, hashes, leading symbols.
    const text = fc.string({
      unit: fc.constantFrom('a', ' ', "'", '"', '[', ']', '{', ':', '#', ',', '-', '$', '>', '1'),
      maxLength: 12,
    });
    const fields = fc.constantFrom<[PathSeg[], string]>(
      [['decide', 'rules', 0, 'name'], 'name'],
      [['decide', 'rules', 1, 'when'], 'when'],
      [['decide', 'rules', 2, 'owner'], 'owner'],
      [['handoff', 'fallbackOwner'], 'fallbackOwner'],
      [['mode'], 'mode'],
    );
    const before = parse(lead);
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.tuple(fields, text), { selector: ([[p]]) => p.join('.'), maxLength: 4 }),
        (edits) => {
          const changes: FlowChange[] = edits.map(([[at], value]) => ({ op: 'set', path: at, value }));
          const out = applyFlowChanges(lead, changes);
          const expected = structuredClone(before);
          for (const c of changes) {
            if (c.op !== 'set') continue;
            let at = expected;
            for (const seg of c.path.slice(0, -1)) at = at[seg];
            at[c.path.at(-1)!] = c.value;
          }
          expect(parse(out)).toEqual(expected);
          expect(
            comments(out).filter((l) => !/^\s*(- )?(name|when|owner|fallbackOwner|mode):/.test(l)),
          ).toEqual(comments(lead).filter((l) => !/^\s*(- )?(name|when|owner|fallbackOwner|mode):/.test(l)));
          expect(changed(lead, out).removed.length).toBeLessThanOrEqual(changes.length);
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe('applyFlowChanges reshaping lists', () => {
  it('inserts, moves and deletes as asked and keeps the comments of everything else', () => {
    type Op = { kind: 'insert' | 'move' | 'delete'; list: 'rules' | 'ladder'; i: number; j: number };
    const op = fc.record({
      kind: fc.constantFrom<Op['kind']>('insert', 'move', 'delete'),
      list: fc.constantFrom<Op['list']>('rules', 'ladder'),
      i: fc.nat(5),
      j: fc.nat(5),
    });
    const top = (t: string) => t.split('\n').filter((l) => l.startsWith('#'));
    fc.assert(
      fc.property(fc.array(op, { maxLength: 5 }), (ops) => {
        const expected = parse(lead);
        const changes: FlowChange[] = [];
        for (const o of ops) {
          const list: PathSeg[] = o.list === 'rules' ? ['decide', 'rules'] : ['handoff', 'escalate'];
          const items: unknown[] = o.list === 'rules' ? expected.decide.rules : expected.handoff.escalate;
          const n = items.length;
          if (o.kind === 'insert') {
            const at = o.i % (n + 1);
            const value =
              o.list === 'rules'
                ? { name: `r${at}`, when: 'false', owner: 'team:smb-sales' }
                : { after: '5h', remind: 'owner' };
            items.splice(at, 0, value);
            changes.push({ op: 'insert', path: [...list, at], value });
          } else if (n > 0) {
            const from = o.i % n;
            if (o.kind === 'delete') {
              items.splice(from, 1);
              changes.push({ op: 'delete', path: [...list, from] });
            } else {
              const to = o.j % n;
              items.splice(to, 0, items.splice(from, 1)[0]);
              changes.push({ op: 'move', path: [...list, from], to });
            }
          }
        }
        const out = applyFlowChanges(lead, changes);
        expect(parse(out)).toEqual(expected);
        expect(top(out)).toEqual(top(lead));
      }),
      { numRuns: 60 },
    );
  });
});

describe('line diffs', () => {
  it('gives no diff for equal texts and a unified diff otherwise', () => {
    expect(unifiedDiff('a\nb\n', 'a\nb\n', 'f')).toBe('');
    expect(unifiedDiff('a\nb\nc\n', 'a\nx\nc\nd\n', 'flows/f.yaml', 1)).toBe(
      ['--- a/flows/f.yaml', '+++ b/flows/f.yaml', '@@ -1,3 +1,4 @@', ' a', '-b', '+x', ' c', '+d', ''].join(
        '\n',
      ),
    );
  });

  it('matches lines in order, equal lines only, and its hunks turn one text into the other', () => {
    const lines = fc.array(fc.constantFrom('a', 'b', 'c', 'd'), { maxLength: 30 });
    fc.assert(
      fc.property(lines, lines, (a, b) => {
        const m = matchLines(a, b);
        for (let k = 0; k < m.length; k++) {
          const [i, j] = m[k]!;
          expect(a[i]).toBe(b[j]);
          if (k > 0) expect(i > m[k - 1]![0] && j > m[k - 1]![1]).toBe(true);
        }
        const out = [...a];
        for (const h of hunksOf(m, a.length, b.length).reverse())
          out.splice(h.aStart, h.aEnd - h.aStart, ...b.slice(h.bStart, h.bEnd));
        expect(out).toEqual(b);
      }),
    );
  });

  it('finds the longest common run of lines (Myers is optimal)', () => {
    expect(matchLines(['a', 'b', 'c', 'a', 'b', 'b', 'a'], ['c', 'b', 'a', 'b', 'a', 'c'])).toHaveLength(4);
  });
});

describe('flow list padding', () => {
  it("reads the file's style and rewrites lists outside quotes and comments only", () => {
    expect(paddingOf(lead)).toEqual({ maps: true, lists: false });
    expect(padLists("a: [ x, 'y ]', [ z ] ] # [ c ]", false)).toBe("a: [x, 'y ]', [z]] # [ c ]");
    expect(padLists('a: [x, "[q]"]', true)).toBe('a: [ x, "[q]" ]');
    expect(padLists('title: Call [ x ] now', false)).toBe('title: Call [ x ] now');
  });
});
