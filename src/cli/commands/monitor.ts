/** top, stats, port, update: watching and tuning running containers. */

import type { Command } from "commander";
import type { UpdateBody } from "../../api/schema/containers.js";
import { CliError } from "../client.js";
import { tabwrite } from "../format/table.js";
import { bytesSize, humanSizeWithPrecision, shortId } from "../format/units.js";
import type { J } from "../json.js";
import { parseCpus, parseRestart } from "../opts/misc.js";
import { memSwapBytes, ramInBytes } from "../opts/units.js";
import { type Ctx, forEachName, int, out, printList } from "./common.js";

const enc = encodeURIComponent;

async function top(ctx: Ctx, name: string, psArgs: string[]): Promise<void> {
  const r = await ctx
    .client()
    .get<J>(`/containers/${enc(name)}/top`, { ps_args: psArgs.length ? psArgs.join(" ") : undefined });
  const lines = [(r.Titles ?? []).join("\t"), ...(r.Processes ?? []).map((p: string[]) => p.join("\t"))];
  out(tabwrite(`${lines.join("\n")}\n`, 20, 3));
}

/** One row of `docker stats` from a stats sample, computed as the docker CLI does. */
export function statsRow(s: J, trunc = true): J {
  const cpu = s.cpu_stats ?? {};
  const pre = s.precpu_stats ?? {};
  const cpuDelta = (cpu.cpu_usage?.total_usage ?? 0) - (pre.cpu_usage?.total_usage ?? 0);
  const sysDelta = (cpu.system_cpu_usage ?? 0) - (pre.system_cpu_usage ?? 0);
  const online = cpu.online_cpus || cpu.cpu_usage?.percpu_usage?.length || 1;
  const cpuPct = sysDelta > 0 && cpuDelta > 0 ? (cpuDelta / sysDelta) * online * 100 : 0;
  const ms = s.memory_stats ?? {};
  const st = ms.stats ?? {};
  let mem = ms.usage ?? 0;
  const inactive = st.total_inactive_file ?? st.inactive_file;
  if (inactive !== undefined && inactive < mem) mem -= inactive;
  const limit = ms.limit ?? 0;
  let rx = 0;
  let tx = 0;
  for (const n of Object.values((s.networks ?? {}) as Record<string, J>)) {
    rx += n.rx_bytes ?? 0;
    tx += n.tx_bytes ?? 0;
  }
  let rd = 0;
  let wr = 0;
  for (const e of (s.blkio_stats?.io_service_bytes_recursive ?? []) as J[]) {
    const op = String(e.op).toLowerCase();
    if (op === "read") rd += e.value ?? 0;
    if (op === "write") wr += e.value ?? 0;
  }
  const id = String(s.id ?? "");
  return {
    Container: trunc ? shortId(id) : id,
    ID: trunc ? shortId(id) : id,
    Name: String(s.name ?? "").replace(/^\//, "") || "--",
    CPUPerc: `${cpuPct.toFixed(2)}%`,
    MemUsage: `${bytesSize(mem)} / ${bytesSize(limit)}`,
    MemPerc: `${(limit ? (mem / limit) * 100 : 0).toFixed(2)}%`,
    NetIO: `${humanSizeWithPrecision(rx, 3)} / ${humanSizeWithPrecision(tx, 3)}`,
    BlockIO: `${humanSizeWithPrecision(rd, 3)} / ${humanSizeWithPrecision(wr, 3)}`,
    PIDs: String(s.pids_stats?.current ?? 0),
  };
}

const STATS_HEADERS = {
  Container: "CONTAINER",
  ID: "CONTAINER ID",
  Name: "NAME",
  CPUPerc: "CPU %",
  MemUsage: "MEM USAGE / LIMIT",
  MemPerc: "MEM %",
  NetIO: "NET I/O",
  BlockIO: "BLOCK I/O",
  PIDs: "PIDS",
};

async function stats(ctx: Ctx, names: string[], o: J): Promise<void> {
  const c = ctx.client();
  const ids = names.length
    ? names
    : ((await c.get<J[]>("/containers/json", { all: o.all ? true : undefined })) ?? []).map(
        (x) => x.Id as string,
      );
  const once = async () => {
    const rows: J[] = [];
    await forEachName(ids, async (n) => {
      const s = await c.get<J>(`/containers/${enc(n)}/stats`, { stream: false });
      rows.push(statsRow(s, o.trunc !== false));
    });
    return rows;
  };
  const fmt = {
    format: o.format,
    defaultTable:
      "table {{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}\t{{.BlockIO}}\t{{.PIDs}}",
    headers: STATS_HEADERS,
  };
  if (o.stream === false) {
    printList(await once(), fmt);
    return;
  }
  for (;;) {
    const rows = await once();
    if (process.stdout.isTTY) out("\x1b[2J\x1b[H");
    printList(rows, fmt);
    await new Promise((r) => setTimeout(r, 1000));
  }
}

async function port(ctx: Ctx, name: string, spec: string | undefined): Promise<void> {
  const info = await ctx.client().get<J>(`/containers/${enc(name)}/json`);
  const ports: Record<string, J[] | null> = info.NetworkSettings?.Ports ?? {};
  const fmt = (b: J) => `${(b.HostIp ?? "").includes(":") ? `[${b.HostIp}]` : b.HostIp}:${b.HostPort}`;
  if (spec) {
    const key = spec.includes("/") ? spec : `${spec}/tcp`;
    const bs = ports[key];
    if (!bs?.length) throw new CliError(`Error: No public port '${key}' published for ${name}`);
    for (const b of bs) out(`${fmt(b)}\n`);
    return;
  }
  const keys = Object.keys(ports).sort(
    (a, b) => Number.parseInt(a, 10) - Number.parseInt(b, 10) || (a < b ? -1 : 1),
  );
  for (const k of keys) for (const b of ports[k] ?? []) out(`${k} -> ${fmt(b)}\n`);
}

async function update(ctx: Ctx, names: string[], o: J): Promise<void> {
  const body: UpdateBody = {};
  const set = <K extends keyof UpdateBody>(k: K, v: UpdateBody[K] | undefined) => {
    if (v !== undefined) body[k] = v;
  };
  set("BlkioWeight", o.blkioWeight === undefined ? undefined : int(o.blkioWeight, 0));
  set("CpuPeriod", o.cpuPeriod === undefined ? undefined : int(o.cpuPeriod, 0));
  set("CpuQuota", o.cpuQuota === undefined ? undefined : int(o.cpuQuota, 0));
  set("CpuRealtimePeriod", o.cpuRtPeriod === undefined ? undefined : int(o.cpuRtPeriod, 0));
  set("CpuRealtimeRuntime", o.cpuRtRuntime === undefined ? undefined : int(o.cpuRtRuntime, 0));
  set("CpusetCpus", o.cpusetCpus);
  set("CpusetMems", o.cpusetMems);
  set("CpuShares", o.cpuShares === undefined ? undefined : int(o.cpuShares, 0));
  set("Memory", o.memory === undefined ? undefined : ramInBytes(o.memory));
  set("MemoryReservation", o.memoryReservation === undefined ? undefined : ramInBytes(o.memoryReservation));
  set("MemorySwap", o.memorySwap === undefined ? undefined : memSwapBytes(o.memorySwap));
  set("NanoCpus", o.cpus === undefined ? undefined : parseCpus(o.cpus));
  set("PidsLimit", o.pidsLimit === undefined ? undefined : int(o.pidsLimit, 0));
  set("RestartPolicy", o.restart === undefined ? undefined : parseRestart(o.restart));
  if (!Object.keys(body).length)
    throw new CliError("you must provide one or more flags when using this command");
  await forEachName(names, async (n) => {
    const r = await ctx.client().post<J>(`/containers/${enc(n)}/update`, undefined, body);
    for (const w of r?.Warnings ?? []) process.stderr.write(`${w}\n`);
    out(`${n}\n`);
  });
}

export function register(program: Command, ctx: Ctx): void {
  const container = program.commands.find((c) => c.name() === "container") ?? program.command("container");
  for (const c of [program.command("top"), container.command("top")]) {
    c.description("Display the running processes of a container")
      .argument("<container>")
      .argument("[ps options...]")
      .passThroughOptions()
      .action((n, a) => top(ctx, n, a));
  }
  for (const c of [program.command("stats"), container.command("stats")]) {
    c.description("Display a live stream of container(s) resource usage statistics")
      .argument("[container...]")
      .option("-a, --all", "Show all containers (default shows just running)")
      .option("--format <string>", "Format output using a custom template")
      .option("--no-stream", "Disable streaming stats and only pull the first result")
      .option("--no-trunc", "Do not truncate output")
      .action((n, o) => stats(ctx, n, o));
  }
  for (const c of [program.command("port"), container.command("port")]) {
    c.description("List port mappings or a specific mapping for the container")
      .argument("<container>")
      .argument("[port]")
      .action((n, p) => port(ctx, n, p));
  }
  for (const c of [program.command("update"), container.command("update")]) {
    c.description("Update configuration of one or more containers")
      .argument("<container...>")
      .option("--blkio-weight <uint16>", "Block IO (relative weight)")
      .option("--cpu-period <int>", "Limit CPU CFS period")
      .option("--cpu-quota <int>", "Limit CPU CFS quota")
      .option("--cpu-rt-period <int>", "Limit the CPU real-time period in microseconds")
      .option("--cpu-rt-runtime <int>", "Limit the CPU real-time runtime in microseconds")
      .option("-c, --cpu-shares <int>", "CPU shares (relative weight)")
      .option("--cpus <decimal>", "Number of CPUs")
      .option("--cpuset-cpus <string>", "CPUs in which to allow execution (0-3, 0,1)")
      .option("--cpuset-mems <string>", "MEMs in which to allow execution (0-3, 0,1)")
      .option("-m, --memory <bytes>", "Memory limit")
      .option("--memory-reservation <bytes>", "Memory soft limit")
      .option("--memory-swap <bytes>", "Swap limit equal to memory plus swap: -1 to enable unlimited swap")
      .option("--pids-limit <int>", "Tune container pids limit (set -1 for unlimited)")
      .option("--restart <string>", "Restart policy to apply when a container exits")
      .action((n, o) => update(ctx, n, o));
  }
}
