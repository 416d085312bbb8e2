import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadProject } from '../../project/load.ts';
import { BatonError } from '../../core/errors.ts';
import { EXAMPLES, tempProject } from '../../../test/support/project.ts';
import { mailDeskFlow } from '../../../test/support/mail-flow.ts';

const base = readFileSync(path.join(EXAMPLES, 'baton.yaml'), 'utf8');
let cleanup: (() => void) | undefined;
afterEach(() => cleanup?.());

async function problems(files: Record<string, string>, env: Record<string, string> = {}): Promise<string[]> {
  const p = tempProject(files);
  cleanup = p.cleanup;
  try {
    await loadProject(p.dir, { env });
    return [];
  } catch (e) {
    if (!(e instanceof BatonError)) throw e;
    return (e.details ?? []).map(
      (d) => `${path.basename(d.file ?? '')}:${d.line ?? ''} ${d.path}: ${d.message}`,
    );
  }
}

const imap = (names: string[]) =>
  `\nintake:\n  smtp: { port: 2525 }\n  imap:\n${names.map((n) => `    - { name: ${n}, host: imap.example.com, user: desk, password: "\${IMAP_PASSWORD}" }`).join('\n')}\n`;

describe('mail intake settings at project load', () => {
  it('takes the settings with defaults, a password from the environment', async () => {
    const p = tempProject({
      'baton.yaml': base + imap(['support']),
      'flows/mail-desk.yaml': mailDeskFlow({ imap: 'support', to: ['help@desk.test'] }),
    });
    cleanup = p.cleanup;
    const project = await loadProject(p.dir, { env: { IMAP_PASSWORD: 's3cret' } });
    expect(project.def.intake).toEqual({
      smtp: { port: 2525, host: '127.0.0.1', maxBytes: 25 * 1024 * 1024 },
      imap: [
        {
          name: 'support',
          host: 'imap.example.com',
          port: 993,
          secure: true,
          user: 'desk',
          password: 's3cret',
          mailbox: 'INBOX',
          processed: { flag: '$Baton' },
          pollMs: 60_000,
          idle: true,
          maxBytes: 25 * 1024 * 1024,
        },
      ],
    });
  });

  it('names the file, line and field of each problem', async () => {
    const found = await problems({
      'baton.yaml': base + imap(['support', 'support']),
      'flows/mail-desk.yaml': mailDeskFlow({ imap: 'billing', to: ['help@desk.test'] }),
      'flows/mail-two.yaml': mailDeskFlow({
        id: 'mail-two',
        imap: 'support',
        to: ['HELP@desk.test', 'not-an-address'],
      }),
      'flows/mail-three.yaml': mailDeskFlow({ id: 'mail-three', imap: 'support' }),
    });
    const text = found.join('\n');
    expect(text).toMatch(
      /baton\.yaml:\d+ intake\.imap\[0\]\.password: environment variable IMAP_PASSWORD is not set/,
    );
    expect(text).toMatch(/baton\.yaml:\d+ intake\.imap\[1\]\.name: mailbox support is listed twice/);
    expect(text).toMatch(
      /mail-desk\.yaml:\d+ trigger\.email\.imap: no mailbox billing in baton\.yaml intake\.imap \(have: support\)/,
    );
    expect(text).toMatch(
      /mail-(two|three)\.yaml:\d+ trigger\.email\.imap: mailbox support is already the trigger of flow mail-(two|three)/,
    );
    expect(text).toMatch(
      /mail-(desk|two)\.yaml:\d+ trigger\.email\.to\[0\]: recipient help@desk\.test is already taken by flow mail-(desk|two)/,
    );
    expect(text).toMatch(/mail-two\.yaml:\d+ trigger\.email\.to\[1\]: "not-an-address" is not an address/);
  });

  it('mail for `to:` needs the SMTP listener', async () => {
    const found = await problems({
      'baton.yaml': base,
      'flows/mail-desk.yaml': mailDeskFlow({ to: ['help@desk.test'] }),
    });
    expect(found.join('\n')).toMatch(
      /mail-desk\.yaml:\d+ trigger\.email\.to: mail for `to:` comes through the SMTP listener: set intake\.smtp/,
    );
  });
});
