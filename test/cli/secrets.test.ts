// The secrets file (`secrets:` in baton.yaml, or BATON_SECRETS_FILE): provider keys and `${NAME}`
// references read it as they read the environment, the environment wins, a file others may read
// is refused, and no value ever reaches the output.
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startModelServer, type ModelServer } from '../support/model-server.ts';
import { answer, projectFiles, ticket } from '../support/llm-project.ts';
import { fresh } from './run.ts';

let server: ModelServer;
beforeAll(async () => {
  server = await startModelServer(() => ({ object: answer(), usage: { input: 900, output: 60 } }));
});
afterAll(() => server.close());

const FILE_KEY = 'sk-from-the-file-7f3a';
const ENV_KEY = 'sk-from-the-environment-91c2';

function project(onFinished: (fn: () => void) => void, secrets: string, mode = 0o600) {
  const files = projectFiles();
  const p = fresh(onFinished, { ...files, 'baton.yaml': `${files['baton.yaml']}\nsecrets: ./secrets.env\n` });
  const file = path.join(p.dir, 'secrets.env');
  writeFileSync(file, secrets);
  chmodSync(file, mode);
  for (const k of Object.keys(p.env)) if (/^(OPENAI|ANTHROPIC|SLACK)_/.test(k)) delete p.env[k];
  return { p, file };
}

const keyOf = (i: number) => String(server.requests[i]?.headers.authorization);

describe('the secrets file', () => {
  it('gives the model provider its key and base URL; the environment wins over it', async ({
    onTestFinished,
  }) => {
    const { p } = project(
      onTestFinished,
      `# model access\nexport OPENAI_API_KEY="${FILE_KEY}"\nOPENAI_BASE_URL=${server.url}/v1 # the local model\n`,
    );
    const before = server.requests.length;
    const r = await p.run(['send', 'triage', JSON.stringify(ticket({ id: 'T-1' }))]);
    expect([r.code, r.stderr]).toEqual([0, '']);
    expect(r.stdout).toMatch(/handed_off/);
    expect(keyOf(before)).toBe(`Bearer ${FILE_KEY}`);

    const again = await p.run(['send', 'triage', JSON.stringify(ticket({ id: 'T-2' }))], {
      env: { OPENAI_API_KEY: ENV_KEY },
    });
    expect([again.code, again.stderr]).toEqual([0, '']);
    expect(keyOf(server.requests.length - 1)).toBe(`Bearer ${ENV_KEY}`);

    const shown = await p.run(['ls', '--json']);
    expect(shown.stdout).not.toContain(FILE_KEY);
    expect(readFileSync(p.db).includes(FILE_KEY)).toBe(false);
  }, 60_000);

  it('BATON_SECRETS_FILE names another file, and ${NAME} in baton.yaml reads it', async ({
    onTestFinished,
  }) => {
    const { p } = project(onTestFinished, `OPENAI_API_KEY=${FILE_KEY}\n`);
    const yaml = readFileSync(path.join(p.dir, 'baton.yaml'), 'utf8');
    writeFileSync(
      path.join(p.dir, 'baton.yaml'),
      `${yaml}connectors:\n  slack: { token: '\${SLACK_BOT_TOKEN}', signingSecret: '\${SLACK_SIGNING_SECRET}' }\n`,
    );
    const missing = await p.run(['validate']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(
      /baton\.yaml:\d+:\d+: connectors\.slack\.token: environment variable SLACK_BOT_TOKEN is not set/,
    );

    const other = path.join(p.dir, 'prod.env');
    writeFileSync(other, `SLACK_BOT_TOKEN='xoxb-secret-token'\nSLACK_SIGNING_SECRET="s3cr#t"\n`, {
      mode: 0o600,
    });
    const ok = await p.run(['validate'], { env: { BATON_SECRETS_FILE: other } });
    expect([ok.code, ok.stderr]).toEqual([0, '']);
    expect(ok.stdout).not.toContain('xoxb-secret-token');
  }, 60_000);

  it('is refused when others may read it, naming the file and the fix', async ({ onTestFinished }) => {
    const { p, file } = project(onTestFinished, `OPENAI_API_KEY=${FILE_KEY}\n`, 0o644);
    const r = await p.run(['validate']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`the secrets file may be read by anyone (mode 644): chmod 600 ${file}`);
    expect(r.stderr).not.toContain(FILE_KEY);
  });

  it('names the line of a malformed entry without its value, and a missing file with its field', async ({
    onTestFinished,
  }) => {
    const { p, file } = project(
      onTestFinished,
      `OPENAI_API_KEY=${FILE_KEY}\n\nthis-is-${FILE_KEY}\nB="open\n`,
    );
    const r = await p.run(['validate']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('secrets.env:3:1: expected NAME=value');
    expect(r.stderr).toContain('secrets.env:4:1: B: the quoted value does not end on its line');
    expect(r.stderr).not.toContain(FILE_KEY);

    const gone = await p.run(['validate'], { env: { BATON_SECRETS_FILE: `${file}.nope` } });
    expect(gone.code).toBe(2);
    expect(gone.stderr).toContain(`BATON_SECRETS_FILE: the secrets file ${file}.nope does not exist`);
    const yaml = readFileSync(path.join(p.dir, 'baton.yaml'), 'utf8');
    writeFileSync(
      path.join(p.dir, 'baton.yaml'),
      yaml.replace('secrets: ./secrets.env', 'secrets: ./typo.env'),
    );
    const typo = await p.run(['validate']);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toMatch(/baton\.yaml:\d+:\d+: secrets: the secrets file .*typo\.env does not exist/);
  });
});
