/** Docker-shaped JSON for containers: inspect (`/containers/{id}/json`) and ps rows (`/containers/json`). */
import { type ContainerRecord, ZERO_TIME } from "./types.js";

export interface ViewContext {
  /** Image name as ps shows it (the name the user gave, or the short ID if it no longer resolves). */
  imageLabel(rec: ContainerRecord): string;
  paths(rec: ContainerRecord): {
    logPath: string;
    hostsPath: string;
    hostnamePath: string;
    resolvConfPath: string;
  };
  graphDriver(rec: ContainerRecord): Record<string, string>;
  networkSettings(rec: ContainerRecord): Record<string, unknown>;
  sizes?(rec: ContainerRecord): { rw: number; rootFs: number };
}

export function inspectContainer(rec: ContainerRecord, v: ViewContext) {
  const s = rec.state;
  const p = v.paths(rec);
  return {
    Id: rec.id,
    Created: rec.created,
    Path: rec.path,
    Args: rec.args,
    State: {
      Status: s.Status,
      Running: s.Status === "running" || s.Status === "paused" || s.Status === "restarting",
      Paused: s.Status === "paused",
      Restarting: s.Status === "restarting",
      OOMKilled: s.OOMKilled,
      Dead: s.Status === "dead",
      Pid: s.Pid,
      ExitCode: s.ExitCode,
      Error: s.Error,
      StartedAt: s.StartedAt,
      FinishedAt: s.FinishedAt,
      ...(s.Health ? { Health: s.Health } : {}),
    },
    Image: rec.image,
    ResolvConfPath: p.resolvConfPath,
    HostnamePath: p.hostnamePath,
    HostsPath: p.hostsPath,
    LogPath: p.logPath,
    Name: `/${rec.name}`,
    RestartCount: rec.restartCount,
    Driver: "overlay2",
    Platform: "linux",
    MountLabel: "",
    ProcessLabel: "",
    AppArmorProfile: "",
    ExecIDs: null as string[] | null,
    HostConfig: rec.hostConfig,
    GraphDriver: { Name: "overlay2", Data: v.graphDriver(rec) },
    Mounts: mountPoints(rec),
    Config: { ...rec.config, Image: rec.imageName },
    NetworkSettings: v.networkSettings(rec),
  };
}

/**
 * The container's mounts as Docker's types.MountPoint (inspect's and the
 * list's `Mounts`): Name and Driver only for volumes. `docker ps`'s
 * LocalVolumes counts the entries whose Driver is "local".
 */
export function mountPoints(rec: ContainerRecord) {
  return rec.mounts.map((m) => ({
    Type: m.Type,
    ...(m.Name ? { Name: m.Name } : {}),
    Source: m.Source,
    Destination: m.Destination,
    ...(m.Driver ? { Driver: m.Driver } : {}),
    Mode: m.Mode,
    RW: m.RW,
    Propagation: m.Propagation,
  }));
}

/** "Up 3 seconds", "Exited (0) 5 seconds ago", "Created" — ps's Status column. */
export function humanStatus(rec: ContainerRecord, now = Date.now()): string {
  const s = rec.state;
  switch (s.Status) {
    case "created":
      return "Created";
    case "running":
    case "paused": {
      let txt = `Up ${humanDuration(now - Date.parse(s.StartedAt))}`;
      if (s.Status === "paused") txt += " (Paused)";
      else if (s.Health && s.Health.Status !== "none")
        txt += ` (${s.Health.Status === "starting" ? "health: starting" : s.Health.Status})`;
      return txt;
    }
    case "restarting":
      return `Restarting (${s.ExitCode}) ${humanDuration(now - Date.parse(s.FinishedAt))} ago`;
    case "removing":
      return "Removal In Progress";
    case "dead":
      return "Dead";
    default:
      if (s.FinishedAt === ZERO_TIME) return "Created";
      return `Exited (${s.ExitCode}) ${humanDuration(now - Date.parse(s.FinishedAt))} ago`;
  }
}

/** go-units HumanDuration. */
export function humanDuration(ms: number): string {
  const seconds = Math.round(ms / 1000);
  if (seconds < 1) return "Less than a second";
  if (seconds === 1) return "1 second";
  if (seconds < 60) return `${seconds} seconds`;
  const minutes = Math.floor(seconds / 60);
  if (minutes === 1) return "About a minute";
  if (minutes < 60) return `${minutes} minutes`;
  const hours = Math.round(minutes / 60);
  if (hours === 1) return "About an hour";
  if (hours < 48) return `${hours} hours`;
  if (hours < 24 * 7 * 2) return `${Math.floor(hours / 24)} days`;
  if (hours < 24 * 30 * 2) return `${Math.floor(hours / 24 / 7)} weeks`;
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24 / 30)} months`;
  return `${Math.floor(hours / 24 / 365)} years`;
}

export function psRow(rec: ContainerRecord, v: ViewContext, size = false) {
  const command = [rec.path, ...rec.args].map((a) => (/\s/.test(a) ? a : a)).join(" ");
  const ns = v.networkSettings(rec) as { Networks?: Record<string, unknown> };
  const ports: { IP?: string; PrivatePort: number; PublicPort?: number; Type: string }[] = [];
  for (const [key, bindings] of Object.entries(rec.ports)) {
    const [port, proto] = key.split("/");
    if (!bindings || bindings.length === 0) {
      ports.push({ PrivatePort: Number(port), Type: proto ?? "tcp" });
      continue;
    }
    for (const b of bindings) {
      ports.push({
        IP: b.HostIp || "0.0.0.0",
        PrivatePort: Number(port),
        PublicPort: Number(b.HostPort),
        Type: proto ?? "tcp",
      });
    }
  }
  const sizes = size && v.sizes ? v.sizes(rec) : undefined;
  return {
    Id: rec.id,
    Names: [`/${rec.name}`],
    Image: v.imageLabel(rec),
    ImageID: rec.image,
    Command: command,
    Created: Math.floor(Date.parse(rec.created) / 1000),
    Ports: ports,
    ...(sizes ? { SizeRw: sizes.rw, SizeRootFs: sizes.rootFs } : {}),
    Labels: rec.config.Labels ?? {},
    State: rec.state.Status,
    Status: humanStatus(rec),
    HostConfig: { NetworkMode: rec.hostConfig.NetworkMode ?? "default" },
    NetworkSettings: { Networks: ns.Networks ?? {} },
    Mounts: mountPoints(rec),
  };
}
