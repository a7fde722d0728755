/** volume create|ls|inspect|rm|prune. */

import type { Command } from "commander";
import type { VolumeCreateBody } from "../../api/schema/resources.js";
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
import { addTypedInspect } from "./inspect.js";
import { pruneReport } from "./system.js";

async function ls(ctx: Ctx, o: J): Promise<void> {
  const r = await ctx.client().get<J>("/volumes", { filters: filtersJson(o.filter) });
  const vols: J[] = [...(r?.Volumes ?? [])].sort((a, b) => (a.Name < b.Name ? -1 : a.Name > b.Name ? 1 : 0));
  if (o.quiet) return printLines(vols.map((v) => v.Name));
  const rows = vols.map((v) => {
    const labels: Record<string, string> = v.Labels ?? {};
    return {
      Name: v.Name,
      Driver: v.Driver,
      Scope: v.Scope ?? "local",
      Mountpoint: v.Mountpoint,
      Labels: Object.keys(labels)
        .sort()
        .map((k) => `${k}=${labels[k]}`)
        .join(","),
      Label: (k: string) => labels[k] ?? "",
      Links: v.UsageData ? String(v.UsageData.RefCount) : "N/A",
      Size: v.UsageData ? String(v.UsageData.Size) : "N/A",
      // Cluster-volume columns of docker 28; a local engine has none.
      Availability: "N/A",
      Group: "N/A",
      Status: "N/A",
    };
  });
  printList(rows, {
    format: o.format,
    defaultTable: "table {{.Driver}}\t{{.Name}}",
    headers: {
      Name: "VOLUME NAME",
      Driver: "DRIVER",
      Scope: "SCOPE",
      Mountpoint: "MOUNTPOINT",
      Labels: "LABELS",
      Label: "LABEL",
      Links: "LINKS",
      Availability: "AVAILABILITY",
      Group: "GROUP",
      Status: "STATUS",
      Size: "SIZE",
    },
  });
}

export function register(program: Command, ctx: Ctx): void {
  const volume = program.command("volume").description("Manage volumes");
  volume
    .command("create")
    .description("Create a volume")
    .argument("[volume]")
    .option("-d, --driver <string>", "Specify volume driver name", "local")
    .option("--label <list>", "Set metadata for a volume", collect, [])
    .option("-o, --opt <map>", "Set driver specific options", collect, [])
    .option("--name <string>", "Specify volume name")
    .action(async (name, o) => {
      const body: VolumeCreateBody = {
        Driver: o.driver,
        DriverOpts: kvMap(o.opt),
        Labels: kvMap(o.label),
        Name: name ?? o.name ?? "",
      };
      const v = await ctx.client().post<J>("/volumes/create", undefined, body);
      out(`${v.Name}\n`);
    });
  const lsCmd = (c: Command) =>
    c
      .description("List volumes")
      .option("-f, --filter <filter>", "Provide filter values (e.g. 'dangling=true')", collect, [])
      .option("--format <string>", "Format output using a custom template")
      .option("-q, --quiet", "Only display volume names")
      .action((o) => ls(ctx, o));
  lsCmd(volume.command("ls").alias("list"));
  addTypedInspect(volume, ctx, "volume");
  volume
    .command("rm")
    .alias("remove")
    .description("Remove one or more volumes")
    .argument("<volume...>")
    .option("-f, --force", "Force the removal of one or more volumes")
    .action((names: string[], o) =>
      forEachName(names, async (n) => {
        await ctx.client().json("DELETE", `/volumes/${encodeURIComponent(n)}`, {
          query: { force: o.force ? true : undefined },
        });
        out(`${n}\n`);
      }),
    );
  volume
    .command("prune")
    .description("Remove unused local volumes")
    .option("-a, --all", "Remove all unused volumes, not just anonymous ones")
    .option("-f, --force", "Do not prompt for confirmation")
    .option("--filter <filter>", "Provide filter values", collect, [])
    .action(async (o) => {
      if (
        !o.force &&
        !(await confirm(
          "WARNING! This will remove anonymous local volumes not used by at least one container.\nAre you sure you want to continue?",
        ))
      )
        return;
      const f = o.filter as string[];
      if (o.all) f.push("all=true");
      const r = await ctx.client().post<J>("/volumes/prune", { filters: filtersJson(f) });
      pruneReport("Deleted Volumes", r?.VolumesDeleted ?? [], r?.SpaceReclaimed);
    });
}
