// The Slack connector through the official SDK: against Prism serving Slack's published Web API
// description (every request checked, through a recording proxy), and against a local server
// that keeps state, for the rollback (chat.delete) and its repeat.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Registry } from '../../actions/registry.ts';
import { Tables } from '../../actions/tables.ts';
import type { ActionDefinition, ActionContext, RollbackContext } from '../../actions/define.ts';
import { OutboundPolicy } from '../../outbound/policy.ts';
import { openConnectors, readConnectors } from '../configure.ts';
import { slack } from './connector.ts';
import { startPrism, type Prism } from '../../../test/support/prism.ts';
import { startValidatingProxy, type ValidatingProxy } from '../../../test/support/validating-proxy.ts';
import { startFakeSlack, type FakeSlack } from '../../../test/support/slack-api.ts';
import { connectorContract } from '../../../test/support/connector-contract.ts';
import { ROOT } from '../../../test/support/project.ts';

const people = {
  usersOf: (owner: string) =>
    owner === 'team:finance' ? ['ari', 'tom'] : owner === 'user:ari' ? ['ari'] : [],
  person: (id: string) =>
    id === 'ari' ? { id, name: 'Ari', roles: [], slack: 'U0ARI' } : { id, name: id, roles: [] },
} as never;

async function open(apiUrl: string, token = 'xoxb-test-token') {
  const { configured } = readConnectors({ slack: { token, signingSecret: 'signing-secret', apiUrl } });
  const registry = new Registry(new Tables(new Map()));
  const [c] = await openConnectors(configured, registry, {
    outbound: new OutboundPolicy({ allowHosts: ['127.0.0.1'] }),
    projectDir: ROOT,
    people,
  });
  const action = (id: string) => registry.action(id) as ActionDefinition<Record<string, unknown>>;
  return { instance: c!.instance, action };
}

const ctx = (owner: ActionContext['owner'] = 'team:finance'): ActionContext => ({
  handoffId: 'h_1',
  flow: 'f',
  actionId: 'tell',
  idempotencyKey: 'h_1:tell',
  owner,
  signal: AbortSignal.timeout(10_000),
  outbound: new OutboundPolicy({ allowHosts: ['127.0.0.1'] }),
});

const requestViolations = (p: ValidatingProxy) =>
  p.verdicts.flatMap((v) => v.violations.filter((x) => x.location[0] === 'request'));

describe('slack against its published description (Prism)', () => {
  let prism: Prism;
  let proxy: ValidatingProxy;
  beforeAll(async () => {
    prism = await startPrism('slack-web-api.json', { errors: false });
    // The 2020 description still requires Slack's legacy `token` header, which the SDK (like
    // Slack's API today) replaces by `Authorization: Bearer`: the proxy adds the same token.
    proxy = await startValidatingProxy(prism.url, (h) => {
      const bearer = /^Bearer (.+)$/.exec(h.get('authorization') ?? '')?.[1];
      const extra: Record<string, string> = bearer ? { token: bearer } : {};
      return extra;
    });
  }, 90_000);
  afterAll(async () => {
    await proxy?.close();
    await prism?.close();
  });

  it('notify_owner, post_message, their rollback and check send only what the API accepts', async () => {
    const { instance, action } = await open(`${proxy.url}/`);
    const told = (await action('slack.notify_owner').run({ text: 'Invoice INV-1 is ready' }, ctx())) as {
      messages: Array<{ channel: string; ts: string }>;
      unreachable?: string[];
    };
    expect(told.messages).toHaveLength(1);
    expect(told.unreachable).toEqual(['tom']); // no Slack id in baton.yaml: named, not skipped silently
    const posted = await action('slack.post_message').run({ channel: 'C0FIN', text: 'Hello' }, ctx());
    await action('slack.post_message').rollback!({}, posted, { ...ctx(), undo: null });
    expect(await instance.check(AbortSignal.timeout(10_000))).toMatch(/authenticated as/);
    expect(proxy.verdicts.map((v) => v.path.split('?')[0])).toEqual([
      '/chat.postMessage',
      '/chat.postMessage',
      '/chat.delete',
      '/auth.test',
    ]);
    expect(proxy.verdicts.every((v) => v.status === 200)).toBe(true);
    expect(requestViolations(proxy)).toEqual([]);
  });

  it('Prism names a request the API refuses (the check can fail)', async () => {
    // chat.postMessage without `channel` breaks the description: the proxy records the violation.
    const before = proxy.verdicts.length;
    await fetch(`${proxy.url}/chat.postMessage`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: 'Bearer xoxb-1' },
      body: 'text=hello',
    });
    expect(proxy.verdicts.slice(before).flatMap((v) => v.violations).length).toBeGreaterThan(0);
  });
});

describe('slack rollback against a server that keeps state', () => {
  let fake: FakeSlack;
  beforeAll(async () => {
    fake = await startFakeSlack();
  });
  afterAll(async () => fake?.close());

  it('deletes what it posted; a second rollback is harmless', async () => {
    const { action } = await open(fake.url);
    const post = action('slack.notify_owner');
    const result = await post.run({ text: 'New lead Acme', owner: 'user:ari' }, ctx());
    expect(fake.of('chat.postMessage').map((c) => c.args.channel)).toEqual(['U0ARI']);
    const undo: RollbackContext = { ...ctx(), undo: null };
    expect(await post.rollback!({}, result, undo)).toEqual({ deleted: 1 });
    expect(await post.rollback!({}, result, undo)).toEqual({ deleted: 0 });
    expect(fake.of('chat.delete')).toHaveLength(2);
  });

  it('an owner nobody of whom has a Slack id fails before sending, saying why', async () => {
    const { action } = await open(fake.url);
    const e = await action('slack.notify_owner')
      .run({ text: 'x', owner: 'user:tom' }, ctx())
      .catch((err: unknown) => err);
    expect((e as Error).message).toMatch(/nobody of user:tom has a Slack id/);
    expect(fake.of('chat.postMessage').filter((c) => c.args.text === 'x')).toHaveLength(0);
  });

  it('a refusal (ok: false) is a plain failure that is not retried, a rate limit is retryable', async () => {
    const { action } = await open(fake.url);
    fake.failNext('chat.postMessage', 'channel_not_found');
    const e = await action('slack.post_message')
      .run({ channel: 'C0NOPE', text: 'x' }, ctx())
      .catch((err: unknown) => err);
    expect(e).toMatchObject({
      code: 'action_failed',
      retryable: false,
      message: 'Slack refused: channel_not_found',
    });
  });
});

connectorContract({
  definition: slack as never,
  settings: {
    token: 'xoxb-contract-secret-1',
    signingSecret: 'contract-signing-secret',
    apiUrl: 'http://127.0.0.1:9/',
  },
  hostile: (base) => ({
    token: 'xoxb-contract-secret-1',
    signingSecret: 'contract-signing-secret',
    apiUrl: `${base}/`,
  }),
  read: (instance, signal) => instance.check(signal),
});
