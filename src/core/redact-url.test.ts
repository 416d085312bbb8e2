import { describe, expect, it } from 'vitest';
import { redactUrl } from './redact-url.ts';

describe('redactUrl', () => {
  it('hides a password in the user info or the query', () => {
    expect(redactUrl('postgres://baton:s3cr3t@db:5432/baton?schema=x')).toBe(
      'postgres://baton:***@db:5432/baton?schema=x',
    );
    expect(redactUrl('postgres://db/baton?user=b&password=s3cr3t&schema=x')).toBe(
      'postgres://db/baton?user=b&password=***&schema=x',
    );
    expect(redactUrl('sqlite:./data/baton.db')).toBe('sqlite:./data/baton.db');
    expect(redactUrl('postgres://baton@db/baton')).toBe('postgres://baton@db/baton');
  });
});
