/**
 * Create-time checks Docker makes on a host config whose types are already
 * right (the API schema saw to that): port specifications, capability
 * names, extra hosts. A bad value fails `create` with InvalidParameter
 * instead of failing `start` with runc's or nft's words.
 */
import { isIP } from "node:net";
import { ALL_CAPS } from "../../runtime/capabilities.js";
import { invalid } from "../../util/errors.js";
import { checkRootlessPort } from "../../util/rootless.js";
import type { HostConfig } from "./types.js";

/** Docker's nat.ParsePortRange: "80" or "8000-8010", each 0..65535, low <= high. */
function validPortRange(s: string): boolean {
  const m = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(s);
  if (!m) return false;
  const lo = Number(m[1]);
  const hi = m[2] === undefined ? lo : Number(m[2]);
  return lo <= 65535 && hi <= 65535 && lo <= hi;
}

/**
 * `"80/tcp"` keys and HostPort values, as moby's daemon/container.go
 * validates them: `invalid port specification: "99999"`. Throws InvalidParameter.
 */
export function checkPortBindings(pb: HostConfig["PortBindings"]): void {
  for (const [key, bindings] of Object.entries(pb ?? {})) {
    const [port = "", proto = "tcp", ...rest] = key.split("/");
    if (!validPortRange(port) || rest.length) throw invalid(`invalid port specification: "${port}"`);
    if (!["tcp", "udp", "sctp"].includes(proto.toLowerCase()))
      throw invalid(`invalid proto: "${proto}" in port specification "${key}"`);
    for (const b of bindings ?? []) {
      const hp = b.HostPort ?? "";
      if (hp !== "" && !validPortRange(hp)) throw invalid(`invalid port specification: "${hp}"`);
      if (hp !== "") checkRootlessPort(Number(hp.split("-")[0]), key);
      const ip = b.HostIp ?? "";
      if (ip !== "" && !isIP(ip)) throw invalid(`invalid host IP address: "${ip}"`);
    }
  }
}

/** Capability names (with or without CAP_, any case, or ALL), as Docker's caps.NormalizeLegacyCapabilities. */
export function checkCapabilities(names: string[] | null | undefined): void {
  for (const c of names ?? []) {
    const up = c.toUpperCase();
    const full = up.startsWith("CAP_") ? up : `CAP_${up}`;
    if (up !== "ALL" && !ALL_CAPS.includes(full)) throw invalid(`unknown capability: "${c}"`);
  }
}

/** `name:ip` (ip may be IPv6 or the word host-gateway), as opts.ValidateExtraHost. */
export function checkExtraHosts(hosts: string[] | null | undefined): void {
  for (const h of hosts ?? []) {
    const i = h.indexOf(":");
    const name = h.slice(0, i);
    const ip = h.slice(i + 1);
    if (i <= 0 || !name) throw invalid(`bad format for add-host: "${h}"`);
    if (ip !== "host-gateway" && !isIP(ip.replace(/^\[(.*)\]$/, "$1")))
      throw invalid(`invalid IP address in add-host: "${ip}"`);
  }
}

/**
 * Endpoint settings only a user-defined network takes, as moby's
 * verifyNetworkingConfig: a fixed address or aliases on the default bridge
 * (or host/none) are refused with runconfig's words. Throws InvalidParameter.
 */
export function checkEndpoints(
  networkMode: string | undefined,
  endpoints:
    | Record<
        string,
        { Aliases?: string[] | null; IPAMConfig?: { IPv4Address?: string; IPv6Address?: string } | null }
      >
    | undefined,
): void {
  const builtin = ["", "default", "bridge", "host", "none"];
  for (const [name, ep] of Object.entries(endpoints ?? {})) {
    const net = name === "default" ? (networkMode ?? "default") : name;
    if (!builtin.includes(net)) continue;
    if (ep?.IPAMConfig?.IPv4Address || ep?.IPAMConfig?.IPv6Address)
      throw invalid("user specified IP address is supported on user defined networks only");
    if (ep?.Aliases?.length)
      throw invalid("network-scoped alias is supported only for containers in user defined networks");
  }
}

/** Every create-time check above on one host config. */
export function checkHostConfig(h: HostConfig): void {
  checkPortBindings(h.PortBindings);
  checkCapabilities(h.CapAdd);
  checkCapabilities(h.CapDrop);
  checkExtraHosts(h.ExtraHosts);
}
