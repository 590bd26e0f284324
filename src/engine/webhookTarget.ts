/**
 * Where a webhook may point. A webhook is an admin-supplied URL the service POSTs to, so without a check it is
 * a way to reach what only the server reaches: its loopback (a database on localhost:5432), the private network,
 * the cloud's metadata service (169.254.169.254, Alibaba Cloud's 100.100.100.200, AWS's fd00:ec2::254).
 *
 * A target is allowed when every address its host resolves to (node:dns lookup, all of them) is a public unicast
 * address — not loopback, private (RFC 1918, CGNAT 100.64/10, ULA fc00::/7), link-local (169.254/16, fe80::/10),
 * unspecified (0.0.0.0/8, ::), multicast, broadcast or reserved/documentation ranges, and not one of those inside
 * an IPv6 address (IPv4-mapped ::ffff:0:0/96, IPv4-compatible ::/96, NAT64 64:ff9b::/96). A host written in an
 * odd numeric form (0x7f000001, 2130706433, 0177.0.0.1, 127.1, percent-encoded digits) is refused whatever it
 * means: the URL parser would read it as an IPv4 address the admin did not write out. An operator may allow-list
 * hosts (WEBHOOK_ALLOW_HOSTS), e.g. an SMS gateway on the private network; those are not checked.
 *
 * The check runs at registration and again before every delivery (DNS can change), and the delivery connects to
 * exactly the addresses checked (`pinnedLookup`), so a DNS answer that changes between check and connect (DNS
 * rebinding) is never used.
 */
import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP, isIPv4 } from 'node:net';

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** Every address of a host name; node:dns lookup (the system resolver, /etc/hosts included) by default. */
export type HostLookup = (host: string) => Promise<ResolvedAddress[]>;

export const systemLookup: HostLookup = async (host) =>
  (await dnsLookup(host, { all: true, verbatim: true })).map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }));

export interface WebhookTargetPolicy {
  /** Hosts (names or addresses, lower case, IPv6 without brackets) that are not checked. */
  allowHosts: readonly string[];
  lookup?: HostLookup;
}

export type TargetRefusalReason =
  | 'loopback'
  | 'private'
  | 'link_local'
  | 'metadata'
  | 'unspecified'
  | 'multicast'
  | 'broadcast'
  | 'reserved'
  | 'numeric_host'
  | 'unresolvable';

export interface TargetRefusal {
  host: string;
  address?: string;
  reason: TargetRefusalReason;
}

export type CheckedTarget =
  | { ok: true; url: URL; host: string; allowListed: boolean; addresses: ResolvedAddress[] | null }
  | { ok: false; refusal: TargetRefusal };

// --- addresses ------------------------------------------------------------------------------------------

function ipv4ToInt(ip: string): number {
  return ip.split('.').reduce((n, part) => n * 256 + Number(part), 0);
}

/** 16 bytes of an IPv6 address (any textual form node accepts, embedded dotted quad included) as a bigint. */
function ipv6ToBigInt(ip: string): bigint {
  let text = ip.toLowerCase();
  const zone = text.indexOf('%');
  if (zone >= 0) text = text.slice(0, zone);
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const v4 = ipv4ToInt(dotted[1]);
    text = `${text.slice(0, dotted.index)}${(v4 >>> 16).toString(16)}:${(v4 & 0xffff).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? text.split('::') : [text, null];
  const h = head ? head.split(':') : [];
  const t = tail === null ? [] : tail ? tail.split(':') : [];
  const groups = tail === null ? h : [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  return groups.reduce((n, g) => (n << 16n) | BigInt(parseInt(g || '0', 16)), 0n);
}

const v4Ranges: [string, number, TargetRefusalReason][] = [
  ['0.0.0.0', 8, 'unspecified'],
  ['10.0.0.0', 8, 'private'],
  ['100.64.0.0', 10, 'private'], // CGNAT (RFC 6598); Alibaba Cloud's metadata 100.100.100.200 is in it
  ['127.0.0.0', 8, 'loopback'],
  ['169.254.0.0', 16, 'link_local'],
  ['172.16.0.0', 12, 'private'],
  ['192.0.0.0', 24, 'reserved'], // IETF protocol assignments
  ['192.0.2.0', 24, 'reserved'], // TEST-NET-1
  ['192.88.99.0', 24, 'reserved'], // 6to4 relay anycast
  ['192.168.0.0', 16, 'private'],
  ['198.18.0.0', 15, 'reserved'], // benchmarking
  ['198.51.100.0', 24, 'reserved'], // TEST-NET-2
  ['203.0.113.0', 24, 'reserved'], // TEST-NET-3
  ['224.0.0.0', 4, 'multicast'],
  ['255.255.255.255', 32, 'broadcast'],
  ['240.0.0.0', 4, 'reserved'],
];

const v6Ranges: [string, number, TargetRefusalReason][] = [
  ['::', 128, 'unspecified'],
  ['::1', 128, 'loopback'],
  ['100::', 64, 'reserved'], // discard-only
  ['2001:db8::', 32, 'reserved'], // documentation
  ['2001::', 23, 'reserved'], // IETF protocol assignments (Teredo, ORCHID, …)
  ['fc00::', 7, 'private'], // unique local
  ['fe80::', 10, 'link_local'],
  ['fec0::', 10, 'private'], // site-local (deprecated)
  ['ff00::', 8, 'multicast'],
];

const METADATA = new Set(['169.254.169.254', '100.100.100.200', 'fd00:ec2::254', '169.254.170.2']);

function inV4(ip: number, base: string, bits: number): boolean {
  if (bits === 0) return true;
  const mask = bits === 32 ? 0xffffffff : (~0 << (32 - bits)) >>> 0;
  return ((ip & mask) >>> 0) === ((ipv4ToInt(base) & mask) >>> 0);
}

function inV6(ip: bigint, base: string, bits: number): boolean {
  const shift = BigInt(128 - bits);
  return ip >> shift === ipv6ToBigInt(base) >> shift;
}

function classifyV4(ip: string): TargetRefusalReason | null {
  if (METADATA.has(ip)) return 'metadata';
  const n = ipv4ToInt(ip);
  for (const [base, bits, reason] of v4Ranges) if (inV4(n, base, bits)) return reason;
  return null;
}

function v4Of(n: bigint): string {
  const v = Number(n & 0xffffffffn);
  return [v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255].join('.');
}

/** Why an address may not be a webhook target, or null for a public unicast address. */
export function classifyAddress(address: string): TargetRefusalReason | null {
  const family = isIP(address);
  if (family === 4) return classifyV4(address);
  if (family !== 6) return 'reserved';
  const n = ipv6ToBigInt(address);
  const text = address.toLowerCase();
  if (METADATA.has(text)) return 'metadata';
  // An IPv4 address inside an IPv6 one reaches that IPv4 address: judge it as such.
  const top96 = n >> 32n;
  if (top96 === 0xffffn || (n >> 32n === 0n && n > 1n) || top96 === ipv6ToBigInt('64:ff9b::') >> 32n) {
    return classifyV4(v4Of(n)) ?? null;
  }
  if (n >> 112n === 0x2002n) return classifyV4(v4Of(n >> 80n)) ?? null; // 6to4 embeds an IPv4 address
  for (const [base, bits, reason] of v6Ranges) if (inV6(n, base, bits)) return reason;
  return null;
}

// --- hosts and URLs -------------------------------------------------------------------------------------

/** The URL's host as compared with the allow list: lower case, IPv6 without brackets, no trailing dot. */
export function normalHost(hostname: string): string {
  return hostname.toLowerCase().replace(/^\[(.*)\]$/, '$1').replace(/\.$/, '');
}

/** The host as written in the URL text (before the URL parser reads numbers into it). */
function writtenHost(text: string): string | null {
  const m = /^[a-z][a-z0-9+.-]*:\/\/(?:[^@/?#\\]*@)?(\[[^\]]*\]|[^:/?#\\]*)/i.exec(text.trim());
  return m ? m[1] : null;
}

/**
 * The URL's host names an IPv4 address in some other form than four decimal numbers: 0x7f000001, 2130706433,
 * 0177.0.0.1, 127.1, 127.0.0.1. with a trailing dot, percent-encoded digits.
 */
export function isOddNumericHost(urlText: string, url: URL): boolean {
  if (!isIPv4(url.hostname)) return false;
  const written = writtenHost(urlText);
  return written === null || written.toLowerCase() !== url.hostname || !/^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/.test(written);
}

/** An allow-list entry as configured: a host name or an address, in the form a URL's host is compared in. */
export function checkAllowHostEntry(entry: string): string | null {
  const host = normalHost(entry.trim());
  if (!host) return 'an empty entry';
  if (isIP(host)) return null;
  let parsed: URL;
  try {
    parsed = new URL(`http://${host}/`);
  } catch {
    return `${JSON.stringify(entry)} is not a host name or an IP address`;
  }
  if (parsed.hostname !== host || /[:/@?#]/.test(host)) return `${JSON.stringify(entry)} is not a host name or an IP address (no scheme, port or path; numbers as four decimals)`;
  return null;
}

/**
 * Check a webhook URL's target: its host is allow-listed, or it is an address (or resolves only to addresses)
 * a webhook may reach. On success, the addresses to connect to (null for an allow-listed host: resolved as usual
 * at connect time).
 */
export async function checkWebhookTarget(urlText: string, policy: WebhookTargetPolicy): Promise<CheckedTarget> {
  const url = new URL(urlText);
  const host = normalHost(url.hostname);
  if (isOddNumericHost(urlText, url)) return { ok: false, refusal: { host: writtenHost(urlText) ?? host, reason: 'numeric_host' } };
  if (policy.allowHosts.includes(host)) return { ok: true, url, host, allowListed: true, addresses: null };
  let addresses: ResolvedAddress[];
  const family = isIP(host);
  if (family) {
    addresses = [{ address: host, family: family === 6 ? 6 : 4 }];
  } else if (host === 'localhost' || host.endsWith('.localhost')) {
    return { ok: false, refusal: { host, reason: 'loopback' } };
  } else {
    try {
      addresses = await (policy.lookup ?? systemLookup)(host);
    } catch {
      return { ok: false, refusal: { host, reason: 'unresolvable' } };
    }
    if (addresses.length === 0) return { ok: false, refusal: { host, reason: 'unresolvable' } };
  }
  for (const a of addresses) {
    const reason = classifyAddress(a.address);
    if (reason) return { ok: false, refusal: { host, address: a.address, reason } };
  }
  return { ok: true, url, host, allowListed: false, addresses };
}

/**
 * A `lookup` for node:net / http.request that answers only with the addresses already checked: the connection
 * goes to exactly those, whatever DNS says by then.
 */
export function pinnedLookup(addresses: readonly ResolvedAddress[]) {
  return (_host: string, options: { all?: boolean; family?: number } | number, callback: (...args: unknown[]) => void) => {
    const all = typeof options === 'object' && options.all;
    const wanted = typeof options === 'object' && options.family ? addresses.filter((a) => a.family === options.family) : addresses;
    const list = wanted.length > 0 ? wanted : addresses;
    if (all) callback(null, list.map((a) => ({ address: a.address, family: a.family })));
    else callback(null, list[0].address, list[0].family);
  };
}
