// The outbound policy on its own: every spelling of a non-public address is refused, names are
// judged by every address they resolve to, and allowances are exact.
import { describe, expect, it } from 'vitest';
import { BatonError } from '../core/errors.ts';
import { OutboundPolicy, type Resolver } from './policy.ts';
import { refusedKind } from './addresses.ts';

/** A resolver with fixed answers, standing in for DNS. */
const names: Record<string, string[]> = {
  'api.example.com': ['93.184.215.14'],
  'rebind.example': ['93.184.215.14', '127.0.0.1'],
  'loop.example': ['127.0.0.1'],
  'v6loop.example': ['::1'],
  'meta.example': ['169.254.169.254'],
  'intranet.corp': ['10.1.2.3'],
  'a.dev.corp': ['10.9.9.9'],
};
const resolver: Resolver = async (host) => {
  const a = names[host];
  if (!a) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
  return a.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
};

const policy = (allowHosts: string[] = []) => new OutboundPolicy({ allowHosts }, resolver);
const reason = async (p: OutboundPolicy, url: string): Promise<string | undefined> => {
  try {
    await p.target(new URL(url));
    return undefined;
  } catch (e) {
    expect(e).toBeInstanceOf(BatonError);
    expect((e as BatonError).retryable).toBe(false);
    expect((e as BatonError).context.sent).toBe('no');
    return (e as BatonError).message;
  }
};

describe('the outbound policy', () => {
  it('refuses every form of a non-public address', async () => {
    const forms = [
      'http://127.0.0.1:8080/',
      'http://localhost/',
      'http://LOCALHOST./',
      'http://127.1/',
      'http://2130706433/',
      'http://0x7f000001/',
      'http://0177.0.0.1/',
      'http://0x7f.1/',
      'http://017700000001/',
      'http://[::1]/',
      'http://[0:0:0:0:0:0:0:1]/',
      'http://[::ffff:127.0.0.1]/',
      'http://[::ffff:7f00:1]/',
      'http://[::127.0.0.1]/',
      'http://[64:ff9b::127.0.0.1]/',
      'http://[2002:7f00:1::]/',
      'http://0.0.0.0/',
      'http://0/',
      'http://[::]/',
      'http://10.0.0.1/',
      'http://172.16.5.4/',
      'http://192.168.1.1/',
      'http://169.254.169.254/latest/meta-data/',
      'http://[fd00:ec2::254]/',
      'http://metadata.google.internal/',
      'http://[fe80::1]/',
      'http://[fc00::1]/',
      'http://100.64.0.1/',
      'http://224.0.0.1/',
      'http://[ff02::1]/',
      'http://255.255.255.255/',
      'http://loop.example/',
      'http://v6loop.example/',
      'http://meta.example/',
      'http://rebind.example/',
    ];
    const p = new OutboundPolicy({ allowHosts: [] }, async (h) =>
      h === 'localhost' ? [{ address: '127.0.0.1', family: 4 }] : resolver(h),
    );
    for (const url of forms) expect(await reason(p, url), url).toMatch(/may not be reached/);
  });

  it('names the kind of address and how to allow it, without the path or query', async () => {
    const msg = await reason(policy(), 'http://loop.example:81/secret?token=abc');
    expect(msg).toContain('loop.example resolves to 127.0.0.1, a loopback address');
    expect(msg).toContain('outbound.allowHosts');
    expect(msg).not.toMatch(/secret|token/);
    expect(await reason(policy(), 'http://169.254.169.254/')).toContain('metadata');
    expect(await reason(policy(), 'http://100.64.1.1/')).toContain('carrier-grade NAT');
  });

  it('lets public hosts through and connects to the checked address', async () => {
    expect(await policy().target(new URL('https://api.example.com/x'))).toMatchObject({
      host: 'api.example.com',
      address: '93.184.215.14',
      family: 4,
    });
    expect(refusedKind('8.8.8.8')).toBeUndefined();
    expect(refusedKind('2606:4700:4700::1111')).toBeUndefined();
  });

  it('allows exactly what the project lists: names, subdomains, addresses and ranges', async () => {
    expect(await reason(policy(['intranet.corp']), 'http://intranet.corp/')).toBeUndefined();
    expect(await reason(policy(['*.dev.corp']), 'http://a.dev.corp/')).toBeUndefined();
    expect(await reason(policy(['*.dev.corp']), 'http://intranet.corp/')).toMatch(/private/);
    expect(await reason(policy(['10.0.0.0/8']), 'http://intranet.corp/')).toBeUndefined();
    expect(await reason(policy(['127.0.0.1']), 'http://127.1:3000/')).toBeUndefined();
    expect(await reason(policy(['127.0.0.1']), 'http://[::ffff:127.0.0.1]/')).toBeUndefined();
    // An allowed address does not allow another name, nor another address.
    expect(await reason(policy(['127.0.0.1']), 'http://127.0.0.2/')).toMatch(/loopback/);
    expect(await reason(policy(['localhost']), 'http://127.0.0.1/')).toMatch(/loopback/);
    expect(await reason(policy(['[::1]']), 'http://[::1]/')).toBeUndefined();
    // A range does not open the metadata service; naming it exactly does.
    expect(await reason(policy(['169.254.0.0/16']), 'http://169.254.169.254/')).toMatch(/metadata/);
    expect(await reason(policy(['169.254.169.254']), 'http://169.254.169.254/')).toBeUndefined();
  });

  it('refuses schemes other than http and https, and reports names that do not resolve', async () => {
    expect(await reason(policy(), 'ftp://api.example.com/')).toMatch(/not http or https/);
    const e = await policy()
      .target(new URL('http://nowhere.example/'))
      .catch((x: unknown) => x);
    expect(e).toBeInstanceOf(BatonError);
    expect((e as BatonError).message).toContain('could not be resolved (ENOTFOUND)');
    expect((e as BatonError).context.sent).toBe('no');
  });
});
