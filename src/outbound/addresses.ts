// Which addresses an outbound call may not reach unless the project allows them: everything
// that is not the public internet (loopback, private networks, link-local with the cloud
// metadata services, carrier-grade NAT, unique-local, multicast, unspecified, reserved), also
// when written inside an IPv6 address (IPv4-mapped, IPv4-compatible, NAT64, 6to4).
import { BlockList, isIP } from 'node:net';

/** What kind of address a refused one is, for the message. */
export type RefusedKind =
  | 'loopback'
  | 'private'
  | 'link-local'
  | 'metadata'
  | 'carrier-grade NAT'
  | 'unique-local'
  | 'multicast'
  | 'unspecified'
  | 'reserved';

const V4: Array<[string, number, RefusedKind]> = [
  ['0.0.0.0', 8, 'unspecified'],
  ['10.0.0.0', 8, 'private'],
  ['100.64.0.0', 10, 'carrier-grade NAT'],
  ['127.0.0.0', 8, 'loopback'],
  ['169.254.0.0', 16, 'link-local'],
  ['172.16.0.0', 12, 'private'],
  ['192.0.0.0', 24, 'reserved'],
  ['192.0.2.0', 24, 'reserved'],
  ['192.168.0.0', 16, 'private'],
  ['198.18.0.0', 15, 'reserved'],
  ['198.51.100.0', 24, 'reserved'],
  ['203.0.113.0', 24, 'reserved'],
  ['224.0.0.0', 4, 'multicast'],
  ['240.0.0.0', 4, 'reserved'],
];

const V6: Array<[string, number, RefusedKind]> = [
  ['::', 128, 'unspecified'],
  ['::1', 128, 'loopback'],
  // IPv4-compatible (deprecated) and IPv4-translated addresses: never a public target.
  ['::', 96, 'reserved'],
  ['::ffff:0:0:0', 96, 'reserved'],
  ['64:ff9b:1::', 48, 'reserved'],
  ['100::', 64, 'reserved'],
  ['2001:db8::', 32, 'reserved'],
  ['fc00::', 7, 'unique-local'],
  ['fe80::', 10, 'link-local'],
  ['fec0::', 10, 'reserved'],
  ['ff00::', 8, 'multicast'],
];

/** The cloud metadata services: named in messages, and allowed only when listed exactly. */
export const METADATA_ADDRESSES: ReadonlySet<string> = new Set(['169.254.169.254', 'fd00:ec2::254']);
export const METADATA_NAMES: ReadonlySet<string> = new Set(['metadata.google.internal', 'metadata.goog']);

/** IPv6 prefixes that carry an IPv4 address: [prefix of the IPv6 form, bits before the IPv4 part]. */
const EMBEDDED_V4: Array<(v4: string) => [string, number]> = [
  (v4) => [`64:ff9b::${v4}`, 96], // NAT64
  (v4) => {
    // 6to4: 2002:AABB:CCDD::/48 carries AA.BB.CC.DD
    const [a, b, c, d] = v4.split('.').map(Number) as [number, number, number, number];
    const hex = (x: number, y: number) => ((x << 8) | y).toString(16);
    return [`2002:${hex(a, b)}:${hex(c, d)}::`, 16];
  },
];

function buildLists(): Array<[BlockList, RefusedKind]> {
  const kinds = new Map<RefusedKind, BlockList>();
  const listOf = (k: RefusedKind): BlockList => {
    let l = kinds.get(k);
    if (!l) kinds.set(k, (l = new BlockList()));
    return l;
  };
  for (const [net, bits, kind] of V4) {
    // A BlockList also matches the IPv4-mapped form (::ffff:a.b.c.d) against an IPv4 rule.
    listOf(kind).addSubnet(net, bits, 'ipv4');
    for (const embed of EMBEDDED_V4) {
      const [v6, before] = embed(net);
      listOf(kind).addSubnet(v6, before + bits, 'ipv6');
    }
  }
  for (const [net, bits, kind] of V6) listOf(kind).addSubnet(net, bits, 'ipv6');
  // Most specific first: ::1 is loopback before it is part of ::/96.
  const order: RefusedKind[] = [
    'loopback',
    'unspecified',
    'link-local',
    'private',
    'carrier-grade NAT',
    'unique-local',
    'multicast',
    'reserved',
  ];
  return order.filter((k) => kinds.has(k)).map((k) => [kinds.get(k)!, k]);
}

const LISTS = buildLists();

/** Why an IP address may not be reached, or undefined when it is a public address. */
export function refusedKind(address: string): RefusedKind | undefined {
  const family = isIP(address);
  if (family === 0) return 'reserved';
  if (METADATA_ADDRESSES.has(canonicalAddress(address))) return 'metadata';
  const type = family === 4 ? 'ipv4' : 'ipv6';
  for (const [list, kind] of LISTS) if (list.check(address, type)) return kind;
  return undefined;
}

/**
 * One spelling per address: IPv6 compressed and lower-case, and `::ffff:a.b.c.d` (in any
 * spelling) as `a.b.c.d`; anything else as it is.
 */
export function canonicalAddress(address: string): string {
  if (isIP(address) !== 6) return address;
  const v6 = new URL(`http://[${address}]`).hostname.slice(1, -1);
  const m = /^::ffff:(?:(\d+\.\d+\.\d+\.\d+)|([0-9a-f]{1,4}):([0-9a-f]{1,4}))$/.exec(v6);
  if (!m) return v6;
  if (m[1]) return m[1];
  const hi = parseInt(m[2]!, 16);
  const lo = parseInt(m[3]!, 16);
  return [hi >> 8, hi & 255, lo >> 8, lo & 255].join('.');
}
