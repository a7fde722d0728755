/**
 * Subnets against the host: what is routed or addressed already (other
 * daemons' bridges included), picking a free /24 from the pool, and finding
 * what collides with a network's subnet.
 */
import { invalid } from "../util/errors.js";
import { run } from "./exec.js";
import { intToIp, parseCidr, routesOverlap } from "./ipam.js";

/** Host-wide: daemons pick and claim subnets one at a time, so two never take the same one. */
export const IPAM_LOCK = "/run/berth-ipam.lock";

/** A destination on the host (a route of the main table or an interface's address) and its device. */
export interface HostRoute {
  dst: string;
  dev: string;
}

/** IPv4 routes of the main table and addresses on any interface (a link that is down has no route). */
export async function hostRoutes(): Promise<HostRoute[]> {
  const ok = (d: string) => /^\d+\.\d+\.\d+\.\d+(\/\d+)?$/.test(d);
  const routes = JSON.parse(await run("ip", ["-j", "-4", "route"]).catch(() => "[]")) as HostRoute[];
  const out = routes.filter((r) => ok(r.dst) && r.dev);
  const links = JSON.parse(await run("ip", ["-j", "-4", "addr"]).catch(() => "[]")) as {
    ifname: string;
    addr_info?: { local: string; prefixlen: number }[];
  }[];
  for (const l of links)
    for (const a of l.addr_info ?? [])
      if (!a.local.startsWith("127.")) out.push({ dst: `${a.local}/${a.prefixlen}`, dev: l.ifname });
  return out;
}

/** What on the host, other than the network's own bridge, overlaps `subnet` (undefined: nothing). */
export async function findCollision(subnet: string, bridge: string): Promise<HostRoute | undefined> {
  return (await hostRoutes()).find((r) => r.dev !== bridge && routesOverlap(r.dst, subnet));
}

/** The first /24 of the pool that overlaps nothing in `used`; 400 when the pool is exhausted. */
export function pickSubnet(pool: string[], used: string[]): string {
  for (const p of pool) {
    const c = parseCidr(p);
    for (let n = c.base; n < c.base + c.size; n += 256) {
      const cand = `${intToIp(n)}/24`;
      if (!used.some((u) => routesOverlap(u, cand))) return cand;
    }
  }
  throw invalid(
    "could not find an available, non-overlapping IPv4 address pool among the defaults to assign to the network",
  );
}
