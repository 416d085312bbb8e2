// Where an outbound call may go. A URL's host is resolved (every address it has) and each
// address checked: a host with one non-public address is refused as a whole, unless the project
// lists the host, the address or its range under `outbound.allowHosts`. The call then connects
// to the address that was checked, so a second lookup (DNS rebinding) cannot swap it.
import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
import { BatonError } from '../core/errors.ts';
import type { OutboundDef } from '../core/project-schema.ts';
import { canonicalAddress, METADATA_ADDRESSES, METADATA_NAMES, refusedKind } from './addresses.ts';

/** A checked target: the address to connect to, for the URL's host. */
export interface Target {
  url: URL;
  /** The URL's host name without brackets (`::1`, `api.example.com`). */
  host: string;
  address: string;
  family: 4 | 6;
}

/** Resolves a host name to every address it has (node:dns by default; tests may swap it). */
export type Resolver = (host: string) => Promise<Array<{ address: string; family: number }>>;

const systemResolver: Resolver = (host) => lookup(host, { all: true, verbatim: true });

/**
 * Sees every target just before the connection is made to it, and may refuse it by throwing
 * (an embedding that audits connections, or a test proving that nothing is ever connected).
 */
export type ConnectGuard = (target: Target) => void;

const hostOf = (url: URL): string => {
  const h = url.hostname.toLowerCase();
  const bare = h.startsWith('[') ? h.slice(1, -1) : h;
  return bare.endsWith('.') ? bare.slice(0, -1) : bare;
};

export class OutboundPolicy {
  readonly #names = new Set<string>();
  readonly #suffixes: string[] = [];
  readonly #ranges = new BlockList();
  readonly #exact = new Set<string>();
  readonly #resolve: Resolver;
  readonly #def: OutboundDef;
  readonly #guard: ConnectGuard | undefined;

  constructor(
    def: OutboundDef = { allowHosts: [] },
    resolve: Resolver = systemResolver,
    guard?: ConnectGuard,
  ) {
    this.#resolve = resolve;
    this.#def = def;
    this.#guard = guard;
    for (const raw of def.allowHosts) {
      const entry = raw.toLowerCase().replace(/^\[(.*)\]$/, '$1');
      const slash = entry.indexOf('/');
      if (slash >= 0) {
        const net = entry.slice(0, slash);
        this.#ranges.addSubnet(net, Number(entry.slice(slash + 1)), isIP(net) === 6 ? 'ipv6' : 'ipv4');
      } else if (isIP(entry)) {
        this.#exact.add(canonicalAddress(entry));
      } else if (entry.startsWith('*.')) this.#suffixes.push(entry.slice(1));
      else this.#names.add(entry.replace(/\.$/, ''));
    }
  }

  /**
   * This policy with more hosts allowed (a connector's own `allowHosts`, on top of the
   * project's): same resolver, same guard.
   */
  withHosts(hosts: readonly string[]): OutboundPolicy {
    if (hosts.length === 0) return this;
    return new OutboundPolicy(
      { ...this.#def, allowHosts: [...this.#def.allowHosts, ...hosts] },
      this.#resolve,
      this.#guard,
    );
  }

  /** Whether the project lists this host name (exactly, or under a `*.` entry). */
  #allowsName(host: string): boolean {
    return this.#names.has(host) || this.#suffixes.some((s) => host.endsWith(s));
  }

  /** Whether the project lists this address, exactly or (but for a metadata address) by its range. */
  #allowsAddress(address: string): boolean {
    const a = canonicalAddress(address);
    if (this.#exact.has(a)) return true;
    if (METADATA_ADDRESSES.has(a)) return false;
    return this.#ranges.check(a, isIP(a) === 6 ? 'ipv6' : 'ipv4');
  }

  /**
   * The address to connect to for this URL, or a BatonError (`action_failed`, not retryable,
   * nothing sent) saying why the host may not be reached.
   */
  async target(url: URL): Promise<Target> {
    if (url.protocol !== 'http:' && url.protocol !== 'https:')
      throw refused(url, `${url.protocol.replace(/:$/, '')} is not http or https`);
    const host = hostOf(url);
    const named = this.#allowsName(host);
    if (METADATA_NAMES.has(host) && !named) throw refused(url, `${host} is a cloud metadata service`);
    let addresses: Array<{ address: string; family: number }>;
    if (isIP(host)) addresses = [{ address: host, family: isIP(host) }];
    else {
      try {
        addresses = await this.#resolve(host);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        throw new BatonError(
          'action_failed',
          `${url.origin}: the host name could not be resolved (${code ?? 'DNS error'})`,
          {
            fault: 'provider',
            retryable: code !== 'ENOTFOUND',
            context: { sent: 'no' },
            cause: e,
          },
        );
      }
      if (addresses.length === 0) throw refused(url, `${host} has no address`);
    }
    if (!named) {
      for (const { address } of addresses) {
        const kind = refusedKind(address);
        if (kind && !this.#allowsAddress(address)) {
          const what = address === host ? address : `${host} resolves to ${address}`;
          throw refused(url, `${what}, ${/^[aeiou]/.test(kind) ? 'an' : 'a'} ${kind} address`);
        }
      }
    }
    const first = addresses[0]!;
    const target: Target = { url, host, address: first.address, family: first.family === 6 ? 6 : 4 };
    this.#guard?.(target);
    return target;
  }
}

function refused(url: URL, why: string): BatonError {
  return new BatonError(
    'action_failed',
    `${url.origin} may not be reached: ${why}; list it under outbound.allowHosts in baton.yaml if it should be`,
    { fault: 'user', retryable: false, context: { sent: 'no' } },
  );
}
