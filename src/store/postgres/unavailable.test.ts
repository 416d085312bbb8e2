import { describe, expect, it } from 'vitest';
import { isUnavailable } from './unavailable.ts';

const withCode = (code: string, message = 'x'): Error => Object.assign(new Error(message), { code });

describe('isUnavailable', () => {
  it('is true for a database that is away', () => {
    expect(isUnavailable(withCode('ECONNREFUSED'))).toBe(true);
    expect(isUnavailable(withCode('57P01', 'terminating connection due to administrator command'))).toBe(
      true,
    );
    expect(isUnavailable(withCode('57P03', 'the database system is starting up'))).toBe(true);
    expect(isUnavailable(withCode('08006'))).toBe(true);
    expect(isUnavailable(new Error('Connection terminated unexpectedly'))).toBe(true);
  });
  it('is false for errors of the statement or the data', () => {
    expect(isUnavailable(withCode('23505', 'duplicate key'))).toBe(false);
    expect(isUnavailable(withCode('42P01', 'relation does not exist'))).toBe(false);
    expect(isUnavailable(new Error('boom'))).toBe(false);
    expect(isUnavailable('ECONNREFUSED')).toBe(false);
  });
});
