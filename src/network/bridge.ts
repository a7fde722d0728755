/** A network's Linux bridge, set up with iproute2 (its nftables rules come from the Firewall). */
import { conflict } from "../util/errors.js";
import { run } from "./exec.js";
import type { Firewall } from "./firewall.js";
import { macFor } from "./ipam.js";
import type { NetworkDef } from "./manager.js";
import { bridgeOptions } from "./options.js";

/**
 * Makes `n.bridge` carry exactly the network's gateway address, a fixed
 * MAC and its options, and installs the network's rules. `exists`: the
 * interface is there already (left by an earlier run); 409 if it is not a bridge.
 */
export async function setupBridge(n: NetworkDef, exists: boolean, fw: Firewall): Promise<void> {
  const opts = bridgeOptions(n.Options);
  // A bridge left by an earlier daemon may carry another address: make it ours again.
  const prefix = n.subnet.split("/")[1];
  if (!exists) await run("ip", ["link", "add", n.bridge, "type", "bridge"]);
  else if (!(await run("ip", ["-d", "link", "show", n.bridge]).catch(() => "")).includes("bridge "))
    throw conflict(`interface ${n.bridge} exists and is not a bridge`);
  await run("ip", ["addr", "flush", "dev", n.bridge]);
  await run("ip", ["addr", "add", `${n.gateway}/${prefix}`, "dev", n.bridge]);
  // A fixed MAC: a bridge otherwise takes its lowest port's, which changes as containers come and go.
  await run("ip", ["link", "set", n.bridge, "address", macFor(n.gateway)]);
  if (opts.mtu) await run("ip", ["link", "set", n.bridge, "mtu", String(opts.mtu)]);
  await run("ip", ["link", "set", n.bridge, "up"]);
  // route_localnet is turned on by publish(), only for bridges that need it.
  await fw.addNetwork(n.bridge, n.subnet, n.Internal, { masquerade: opts.masquerade });
}
