// A copy of the example project with people on Slack and email connectors pointing at local
// test servers, served over HTTP on a known port (email links need the public URL up front).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { EXAMPLES, openTemp } from './project.ts';
import { freePort } from './server.ts';
import { startServer } from '../../src/server/listen.ts';
import type { OpenOptions } from '../../src/service/baton.ts';
import { SIGNING_SECRET } from './slack-api.ts';

export const SLACK_IDS: Record<string, string> = { sam: 'U0SAM', kim: 'U0KIM', dana: 'U0DANA', ops: 'U0OPS' };

export function channelsYaml(o: {
  slackApiUrl?: string;
  smtpUrl?: string;
  publicUrl: string;
  linkMinutes?: number;
  /** More of baton.yaml, appended (e.g. `delegations:`). */
  extra?: string;
}): string {
  let text = readFileSync(path.join(EXAMPLES, 'baton.yaml'), 'utf8');
  for (const [id, slack] of Object.entries(SLACK_IDS)) {
    text = text.replace(new RegExp(`(- \\{ id: ${id}, [^}]*?)( roles:)`), `$1 slack: ${slack},$2`);
  }
  text = text.replace(/publicUrl: .*/, `publicUrl: ${o.publicUrl}`);
  const connectors: string[] = [];
  if (o.slackApiUrl) {
    connectors.push(
      `  slack: { token: xoxb-test-token, signingSecret: "\${TEST_SLACK_SECRET:-${SIGNING_SECRET}}", apiUrl: "${o.slackApiUrl}" }`,
    );
  }
  if (o.smtpUrl) {
    connectors.push(
      `  email: { smtp: "${o.smtpUrl}", from: "Baton <baton@example.com>"${o.linkMinutes ? `, linkMinutes: ${o.linkMinutes}` : ''} }`,
    );
  }
  return `${text}\nconnectors:\n${connectors.join('\n')}\n${o.extra ?? ''}`;
}

export async function startChannels(
  o: { slackApiUrl?: string; smtpUrl?: string; linkMinutes?: number; extra?: string },
  files: Record<string, string> = {},
  options: Partial<OpenOptions> = {},
) {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const env = await openTemp(
    { 'baton.yaml': channelsYaml({ ...o, publicUrl: url }), ...files },
    { worker: true, pollMs: 20, deliveryBackoffMs: 50, ...options },
  );
  env.baton.engine.start();
  const server = await startServer(env.baton, { port });
  return {
    ...env,
    url,
    async close() {
      await server.close();
      await env.close();
    },
  };
}
