// Which network destinations a server-side download may reach. Pure: no DNS, no sockets; the
// fetcher (net-fetch.ts) resolves names and asks this module about every address it got.
import { BlockList, isIP } from 'node:net';

/** A special-purpose address range; every other address counts as public. */
export type AddressClass = 'unspecified' | 'loopback' | 'private' | 'shared' | 'link-local' | 'unique-local' | 'multicast' | 'reserved';

// IANA special-purpose registries (RFC 6890 and successors), by what a fetch there would reach.
const RANGES: ReadonlyArray<readonly [AddressClass, string, number, 'ipv4' | 'ipv6']> = [
  ['unspecified', '0.0.0.0', 8, 'ipv4'], // "this network": 0.0.0.0 connects to the local host on Linux
  ['private', '10.0.0.0', 8, 'ipv4'],
  ['shared', '100.64.0.0', 10, 'ipv4'], // carrier-grade NAT
  ['loopback', '127.0.0.0', 8, 'ipv4'],
  ['link-local', '169.254.0.0', 16, 'ipv4'], // cloud metadata services live here
  ['private', '172.16.0.0', 12, 'ipv4'],
  ['reserved', '192.0.0.0', 24, 'ipv4'],
  ['reserved', '192.0.2.0', 24, 'ipv4'],
  ['reserved', '192.88.99.0', 24, 'ipv4'],
  ['private', '192.168.0.0', 16, 'ipv4'],
  ['reserved', '198.18.0.0', 15, 'ipv4'],
  ['reserved', '198.51.100.0', 24, 'ipv4'],
  ['reserved', '203.0.113.0', 24, 'ipv4'],
  ['multicast', '224.0.0.0', 4, 'ipv4'],
  ['reserved', '240.0.0.0', 4, 'ipv4'], // and 255.255.255.255
  ['unspecified', '::', 128, 'ipv6'],
  ['loopback', '::1', 128, 'ipv6'],
  ['private', '64:ff9b:1::', 48, 'ipv6'], // local-use NAT64
  ['reserved', '100::', 64, 'ipv6'],
  ['reserved', '2001:db8::', 32, 'ipv6'],
  ['unique-local', 'fc00::', 7, 'ipv6'],
  ['link-local', 'fe80::', 10, 'ipv6'],
  ['reserved', 'fec0::', 10, 'ipv6'], // the deprecated site-local range
  ['multicast', 'ff00::', 8, 'ipv6'],
];

const lists = new Map<AddressClass, BlockList>();
for (const [kind, network, prefix, family] of RANGES) {
  if (!lists.has(kind)) lists.set(kind, new BlockList());
  lists.get(kind)!.addSubnet(network, prefix, family);
}

/** The 16 bytes of an IPv6 literal (which `isIP` already accepted), dotted-quad tail included. */
function ipv6Bytes(address: string): Uint8Array {
  let text = address;
  const quad = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (quad) text = `${text.slice(0, quad.index)}${((+quad[1]! << 8) | +quad[2]!).toString(16)}:${((+quad[3]! << 8) | +quad[4]!).toString(16)}`;
  const [head, tail] = text.split('::') as [string, string | undefined];
  const parse = (part: string | undefined) => (part ? part.split(':').map((word) => parseInt(word, 16)) : []);
  const front = parse(head);
  const back = parse(tail);
  const words = [...front, ...new Array<number>(8 - front.length - back.length).fill(0), ...back];
  return Uint8Array.from(words.flatMap((word) => [word >> 8, word & 0xff]));
}

const startsWith = (bytes: Uint8Array, prefix: readonly number[]) => prefix.every((byte, i) => bytes[i] === byte);
const dotted = (bytes: Uint8Array) => Array.from(bytes).join('.');

// IPv6 forms that carry an IPv4 address the packet ends up at: IPv4-mapped (::ffff:0:0/96),
// IPv4-compatible (::/96, deprecated), NAT64 (64:ff9b::/96) and 6to4 (2002::/16).
function embeddedIpv4(bytes: Uint8Array): string | null {
  const tail = bytes.subarray(12);
  if (startsWith(bytes, [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff])) return dotted(tail);
  // ::a.b.c.d (:: itself is 0.0.0.0, unspecified either way), leaving ::1 to the IPv6 ranges.
  if (startsWith(bytes, [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]) && dotted(tail) !== '0.0.0.1') return dotted(tail);
  if (startsWith(bytes, [0x00, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0])) return dotted(tail);
  if (startsWith(bytes, [0x20, 0x02])) return dotted(bytes.subarray(2, 6));
  return null;
}

/**
 * The special-purpose range an IP address belongs to, or null when it is public. IPv6
 * addresses that embed an IPv4 address (IPv4-mapped, IPv4-compatible, NAT64, 6to4) are
 * classified by that IPv4 address; a zone (`fe80::1%eth0`) is ignored. Throws a TypeError
 * when `address` is not an IP literal.
 */
export function classifyAddress(address: string): AddressClass | null {
  const bare = address.replace(/%.*$/, '');
  const family = isIP(bare);
  if (family === 0) throw new TypeError(`not an IP address: ${address}`);
  if (family === 6) {
    const embedded = embeddedIpv4(ipv6Bytes(bare));
    if (embedded !== null) return classifyAddress(embedded);
  }
  for (const [kind, list] of lists) if (list.check(bare, family === 4 ? 'ipv4' : 'ipv6')) return kind;
  return null;
}

/** The host part of a URL as a name or a bare IP literal (`[::1]` → `::1`). */
export function hostOf(url: URL): string {
  return url.hostname.startsWith('[') && url.hostname.endsWith(']') ? url.hostname.slice(1, -1) : url.hostname;
}

/**
 * What a download may reach: with `allowPrivateNetworks` false (the default) only public
 * addresses; with it true every address but link-local ones, which hold cloud metadata
 * services and never a firmware server.
 */
export interface DestinationPolicy {
  allowPrivateNetworks: boolean;
}

/**
 * Why the policy refuses a connection to `address`, fit to show the caller without naming
 * the address (a name may resolve to an internal address the caller should not learn); null
 * when it is allowed.
 */
export function refusalOf(address: string, policy: DestinationPolicy): string | null {
  const kind = classifyAddress(address);
  if (kind === null) return null;
  if (kind === 'link-local') return 'resolves to a link-local address (where cloud metadata services live); firmware is never fetched from one';
  if (policy.allowPrivateNetworks) return null;
  return 'resolves to a private address; set OTA_FETCH_ALLOW_PRIVATE_NETWORKS=true to allow firmware from your own network';
}

/**
 * Why a URL may not be fetched at all, whatever it resolves to: a scheme other than http(s)
 * or credentials in it (they would be sent to every redirect target and kept in
 * `sourceUrl`). Null when it may.
 */
export function urlRefusalOf(url: URL): string | null {
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'is not an http:// or https:// URL';
  if (url.username !== '' || url.password !== '') return 'contains credentials (user:password@), which are not allowed';
  return null;
}
