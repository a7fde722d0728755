/** network create|ls|inspect|rm|connect|disconnect|prune. */

import type { Command } from "commander";
import type { NetworkCreateBody } from "../../api/schema/resources.js";
import { CliError } from "../client.js";
import type { J } from "../json.js";
import { kvMap } from "../opts/misc.js";
import {
  type Ctx,
  collect,
  confirm,
  filtersJson,
  forEachName,
  out,
  printLines,
  printList,
} from "./common.js";
import { goTime } from "./images.js";
import { addTypedInspect } from "./inspect.js";

const enc = encodeURIComponent;

async function create(ctx: Ctx, name: string, o: J): Promise<void> {
  const subnets: string[] = o.subnet;
  if ((o.gateway.length || o.ipRange.length) && !subnets.length)
    throw new CliError("every ip-range or gateway must have a corresponding subnet");
  const config = subnets.map((s, i) => ({
    Subnet: s,
    ...(o.ipRange[i] ? { IPRange: o.ipRange[i] } : {}),
    ...(o.gateway[i] ? { Gateway: o.gateway[i] } : {}),
    ...(o.auxAddress.length ? { AuxiliaryAddresses: kvMap(o.auxAddress) } : {}),
  }));
  const body: NetworkCreateBody = {
    Name: name,
    CheckDuplicate: true,
    Driver: o.driver,
    Scope: o.scope ?? "",
    EnableIPv6: !!o.ipv6,
    IPAM: { Driver: o.ipamDriver, Options: kvMap(o.ipamOpt), Config: config },
    Internal: !!o.internal,
    Attachable: !!o.attachable,
    Ingress: false,
    ConfigOnly: !!o.configOnly,
    Options: kvMap(o.opt),
    Labels: kvMap(o.label),
  };
  const r = await ctx.client().post<J>("/networks/create", undefined, body);
  if (r?.Warning) process.stderr.write(`WARNING: ${r.Warning}\n`);
  out(`${r.Id}\n`);
}

async function ls(ctx: Ctx, o: J): Promise<void> {
  const nets = (await ctx.client().get<J[]>("/networks", { filters: filtersJson(o.filter) })) ?? [];
  nets.sort((a, b) => naturalCompare(String(a.Name), String(b.Name))); // docker sorts by name
  const trunc = o.trunc !== false;
  const rows = nets.map((n) => {
    const labels: Record<string, string> = n.Labels ?? {};
    return {
      ID: trunc ? String(n.Id).slice(0, 12) : n.Id,
      Name: n.Name,
      Driver: n.Driver,
      Scope: n.Scope,
      IPv4: String(!!n.EnableIPv4),
      IPv6: String(!!n.EnableIPv6),
      Internal: String(!!n.Internal),
      CreatedAt: goTimeFrac(Date.parse(n.Created)),
      Labels: Object.keys(labels)
        .sort()
        .map((k) => `${k}=${labels[k]}`)
        .join(","),
      Label: (k: string) => labels[k] ?? "",
    };
  });
  if (o.quiet) return printLines(rows.map((r) => r.ID));
  printList(rows, {
    format: o.format,
    defaultTable: "table {{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.Scope}}",
    headers: {
      ID: "NETWORK ID",
      Name: "NAME",
      Driver: "DRIVER",
      Scope: "SCOPE",
      IPv4: "IPV4",
      IPv6: "IPV6",
      Internal: "INTERNAL",
      CreatedAt: "CREATED",
      Labels: "LABELS",
      Label: "LABEL",
    },
  });
}

export function register(program: Command, ctx: Ctx): void {
  const network = program.command("network").description("Manage networks");
  network
    .command("create")
    .description("Create a network")
    .argument("<network>")
    .option("--attachable", "Enable manual container attachment")
    .option("--aux-address <map>", "Auxiliary IPv4 or IPv6 addresses used by Network driver", collect, [])
    .option("--config-only", "Create a configuration only network")
    .option("-d, --driver <string>", "Driver to manage the Network", "bridge")
    .option("--gateway <list>", "IPv4 or IPv6 Gateway for the master subnet", collect, [])
    .option("--internal", "Restrict external access to the network")
    .option("--ip-range <list>", "Allocate container ip from a sub-range", collect, [])
    .option("--ipam-driver <string>", "IP Address Management Driver", "default")
    .option("--ipam-opt <map>", "Set IPAM driver specific options", collect, [])
    .option("--ipv6", "Enable or disable IPv6 networking")
    .option("--label <list>", "Set metadata on a network", collect, [])
    .option("-o, --opt <map>", "Set driver specific options", collect, [])
    .option("--scope <string>", "Control the network's scope")
    .option("--subnet <list>", "Subnet in CIDR format that represents a network segment", collect, [])
    .action((n, o) => create(ctx, n, o));
  network
    .command("ls")
    .alias("list")
    .description("List networks")
    .option("-f, --filter <filter>", "Provide filter values (e.g. 'driver=bridge')", collect, [])
    .option("--format <string>", "Format output using a custom template")
    .option("--no-trunc", "Do not truncate the output")
    .option("-q, --quiet", "Only display network IDs")
    .action((o) => ls(ctx, o));
  addTypedInspect(network, ctx, "network");
  network
    .command("rm")
    .alias("remove")
    .description("Remove one or more networks")
    .argument("<network...>")
    .option("-f, --force", "Do not error if the network does not exist")
    .action((names: string[], o) =>
      forEachName(names, async (n) => {
        try {
          await ctx.client().json("DELETE", `/networks/${enc(n)}`);
        } catch (e) {
          if (o.force && (e as { statusCode?: number }).statusCode === 404) return;
          throw e;
        }
        out(`${n}\n`);
      }),
    );
  network
    .command("connect")
    .description("Connect a container to a network")
    .argument("<network>")
    .argument("<container>")
    .option("--alias <list>", "Add network-scoped alias for the container", collect, [])
    .option("--driver-opt <list>", "driver options for the network", collect, [])
    .option("--ip <string>", "IPv4 address (e.g., 172.30.100.104)")
    .option("--ip6 <string>", "IPv6 address (e.g., 2001:db8::33)")
    .option("--link <list>", "Add link to another container", collect, [])
    .option("--link-local-ip <list>", "Add a link-local address for the container", collect, [])
    .action(async (net, c, o) => {
      const ipam: J = {};
      if (o.ip) ipam.IPv4Address = o.ip;
      if (o.ip6) ipam.IPv6Address = o.ip6;
      if (o.linkLocalIp.length) ipam.LinkLocalIPs = o.linkLocalIp;
      await ctx.client().post(`/networks/${enc(net)}/connect`, undefined, {
        Container: c,
        EndpointConfig: {
          IPAMConfig: Object.keys(ipam).length ? ipam : null,
          Links: o.link.length ? o.link : null,
          Aliases: o.alias.length ? o.alias : null,
          DriverOpts: o.driverOpt.length ? kvMap(o.driverOpt) : null,
        },
      });
    });
  network
    .command("disconnect")
    .description("Disconnect a container from a network")
    .argument("<network>")
    .argument("<container>")
    .option("-f, --force", "Force the container to disconnect from a network")
    .action(async (net, c, o) => {
      await ctx
        .client()
        .post(`/networks/${enc(net)}/disconnect`, undefined, { Container: c, Force: !!o.force });
    });
  network
    .command("prune")
    .description("Remove all unused networks")
    .option("-f, --force", "Do not prompt for confirmation")
    .option("--filter <filter>", "Provide filter values", collect, [])
    .action(async (o) => {
      if (
        !o.force &&
        !(await confirm(
          "WARNING! This will remove all custom networks not used by at least one container.\nAre you sure you want to continue?",
        ))
      )
        return;
      const r = await ctx.client().post<J>("/networks/prune", { filters: filtersJson(o.filter) });
      const ids: string[] = r?.NetworksDeleted ?? [];
      if (ids.length) out(`Deleted Networks:\n${ids.join("\n")}\n`);
    });
}

/** Go's time.String: seconds carry their fraction when it is not zero (the API's Created has ms). */
function goTimeFrac(ms: number): string {
  const frac = String(((ms % 1000) + 1000) % 1000)
    .padStart(3, "0")
    .replace(/0+$/, "");
  return frac ? goTime(ms).replace(/^(\S+ \S+)/, `$1.${frac}`) : goTime(ms);
}

/** docker's sortorder.NaturalLess as a comparator: digit runs compare as numbers, the rest bytewise. */
export function naturalCompare(a: string, b: string): number {
  const re = /(\d+|\D+)/g;
  const pa = a.match(re) ?? [];
  const pb = b.match(re) ?? [];
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
    const x = pa[i]!;
    const y = pb[i]!;
    if (x === y) continue;
    const nx = /^\d/.test(x);
    const ny = /^\d/.test(y);
    if (nx && ny) {
      const d = Number(x) - Number(y);
      if (d !== 0) return d;
      return x.length - y.length;
    }
    return x < y ? -1 : 1;
  }
  return pa.length - pb.length;
}
