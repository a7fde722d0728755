/** IPv4 address management for bridge subnets. */
import { invalid } from "../util/errors.js";

export function ipToInt(ip: string): number {
  const p = ip.split(".").map(Number);
  if (p.length !== 4 || p.some((x) => !Number.isInteger(x) || x < 0 || x > 255))
    throw invalid(`invalid IP address: ${ip}`);
  return ((p[0]! << 24) | (p[1]! << 16) | (p[2]! << 8) | p[3]!) >>> 0;
}

export function intToIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join(".");
}

export function parseCidr(cidr: string): { base: number; prefix: number; size: number } {
  const [ip, p] = cidr.split("/");
  const prefix = Number(p);
  if (!ip || !Number.isInteger(prefix) || prefix < 8 || prefix > 30) throw invalid(`invalid subnet: ${cidr}`);
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return { base: (ipToInt(ip) & mask) >>> 0, prefix, size: 2 ** (32 - prefix) };
}

export function overlaps(a: string, b: string): boolean {
  const x = parseCidr(a);
  const y = parseCidr(b);
  return x.base < y.base + y.size && y.base < x.base + x.size;
}

export function contains(cidr: string, ip: string): boolean {
  const c = parseCidr(cidr);
  const n = ipToInt(ip);
  return n >= c.base && n < c.base + c.size;
}

/** The first free host address of the subnet (skipping network, gateway, broadcast and taken ones). */
export function allocate(cidr: string, taken: Set<string>, range?: string): string {
  const c = parseCidr(range ?? cidr);
  for (let n = c.base + 1; n < c.base + c.size - 1; n++) {
    const ip = intToIp(n);
    if (!taken.has(ip)) return ip;
  }
  throw invalid(`no available IPv4 addresses on this network's address pools: ${cidr}`);
}

/** Whether two host routes/subnets overlap; unlike overlaps(), any prefix 0..32 (host routes included). */
export function routesOverlap(a: string, b: string): boolean {
  const r = (c: string) => {
    const [ip, p] = c.split("/");
    const prefix = p === undefined ? 32 : Number(p);
    const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
    return { base: (ipToInt(ip!) & mask) >>> 0, size: 2 ** (32 - prefix) };
  };
  const x = r(a);
  const y = r(b);
  return x.base < y.base + y.size && y.base < x.base + x.size;
}

/** Docker's MAC for an address: 02:42 then the four bytes of the IPv4 address. */
export function macFor(ip: string): string {
  return `02:42:${ip
    .split(".")
    .map((x) => Number(x).toString(16).padStart(2, "0"))
    .join(":")}`;
}
