/**
 * Docker's bridge driver options (`docker network create -o KEY=VALUE`,
 * https://docs.docker.com/engine/network/drivers/bridge/#options): the ones
 * berth applies are parsed here; the documented ones it cannot honour are
 * refused with a 400 instead of being stored and ignored. Unknown keys are
 * kept and ignored, as Docker does.
 */
import { invalid } from "../util/errors.js";

export const OPT_NAME = "com.docker.network.bridge.name";
export const OPT_MASQ = "com.docker.network.bridge.enable_ip_masquerade";
export const OPT_ICC = "com.docker.network.bridge.enable_icc";
export const OPT_HOST_IP = "com.docker.network.bridge.host_binding_ipv4";
export const OPT_MTU = "com.docker.network.driver.mtu";

/** What berth does with a network's options. */
export interface BridgeOptions {
  /** Interface name of the bridge (default: prefix + id). */
  name?: string;
  /** Outbound NAT (default true). */
  masquerade: boolean;
  /** Containers of the network may talk to each other (default true; false isolates bridge ports). */
  icc: boolean;
  /** Default host address of published ports (default 0.0.0.0). */
  hostIp?: string;
  /** MTU of the bridge and veths. */
  mtu?: number;
}

/** Go's strconv.ParseBool, which Docker uses for these options. */
function bool(key: string, v: string): boolean {
  if (["1", "t", "T", "true", "TRUE", "True"].includes(v)) return true;
  if (["0", "f", "F", "false", "FALSE", "False"].includes(v)) return false;
  throw invalid(`invalid value for ${key}: ${v} (want a boolean)`);
}

/** Parses and validates `Options`; throws 400 on a bad value or a documented option berth cannot apply. */
export function bridgeOptions(opts: Record<string, string> | undefined): BridgeOptions {
  const o = opts ?? {};
  const out: BridgeOptions = { masquerade: true, icc: true };
  const name = o[OPT_NAME];
  if (name !== undefined && name !== "") {
    if (!/^[A-Za-z0-9_.-]{1,15}$/.test(name) || name === "." || name === "..")
      throw invalid(`invalid bridge name ${JSON.stringify(name)}: 1 to 15 letters, digits, '_', '.' or '-'`);
    out.name = name;
  }
  if (o[OPT_MASQ] !== undefined) out.masquerade = bool(OPT_MASQ, o[OPT_MASQ]);
  if (o[OPT_ICC] !== undefined) out.icc = bool(OPT_ICC, o[OPT_ICC]);
  if (o[OPT_HOST_IP] !== undefined && o[OPT_HOST_IP] !== "") {
    if (!/^\d+\.\d+\.\d+\.\d+$/.test(o[OPT_HOST_IP]))
      throw invalid(`invalid ${OPT_HOST_IP}: ${o[OPT_HOST_IP]} (berth supports an IPv4 address)`);
    out.hostIp = o[OPT_HOST_IP];
  }
  if (o[OPT_MTU] !== undefined && o[OPT_MTU] !== "" && o[OPT_MTU] !== "0") {
    const mtu = Number(o[OPT_MTU]);
    if (!Number.isInteger(mtu) || mtu < 68 || mtu > 65535) throw invalid(`invalid ${OPT_MTU}: ${o[OPT_MTU]}`);
    out.mtu = mtu;
  }
  const refuse = (key: string, ok: (v: string) => boolean) => {
    const v = o[key];
    if (v !== undefined && v !== "" && !ok(v))
      throw invalid(`network option ${key}=${v} is not supported by berth`);
  };
  refuse("com.docker.network.bridge.inhibit_ipv4", (v) => !bool("inhibit_ipv4", v));
  refuse("com.docker.network.bridge.default_bridge", (v) => !bool("default_bridge", v));
  refuse("com.docker.network.bridge.gateway_mode_ipv4", (v) => v === "nat");
  refuse("com.docker.network.bridge.gateway_mode_ipv6", (v) => v === "nat");
  refuse("com.docker.network.container_iface_prefix", (v) => v === "eth");
  refuse("com.docker.network.bridge.trusted_host_interfaces", () => false);
  return out;
}
