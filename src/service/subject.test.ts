import { describe, expect, it } from 'vitest';
import { subjectOf } from './subject.ts';

describe('subjectOf', () => {
  it('takes a subject-like field first, with its severity', () => {
    expect(subjectOf({ id: 'T-1', severity: 'sev2', summary: 'Exports time out\nsteps: …' })).toBe(
      'sev2: Exports time out',
    );
    expect(subjectOf({ title: '  Renew the contract ' })).toBe('Renew the contract');
  });

  it('else who it concerns and how much', () => {
    expect(subjectOf({ id: 'L1', company: 'Acme', email: 'jo@acme.com' })).toBe('Acme');
    expect(subjectOf({ id: 'INV-1', vendor: 'northwind', amount: 2500, currency: 'USD' })).toBe(
      'northwind · 2,500 USD',
    );
    expect(subjectOf({ id: 'T-2', severity: 'sev3' })).toBe('sev3');
  });

  it('else the first short fields by name, and nothing for an empty input', () => {
    expect(subjectOf({ id: 'X', region: 'emea', seats: 40, notes: 'n'.repeat(100) })).toBe(
      'region: emea, seats: 40',
    );
    expect(subjectOf({ id: 'X' })).toBeUndefined();
    expect(subjectOf({})).toBeUndefined();
  });

  it('keeps to one line of at most 120 characters', () => {
    const s = subjectOf({ subject: 'word '.repeat(60) })!;
    expect(s.length).toBeLessThanOrEqual(120);
    expect(s.endsWith('…')).toBe(true);
  });
});
