/**
 * `system df -v`: docker's verbose disk usage (cli/command/formatter/disk_usage.go):
 * per-image, per-container, per-volume and per-build-cache tables, or with
 * `--format json` one object {Images, Containers, Volumes, BuildCache}.
 */
import { containerContext } from "../format/containers.js";
import { context, formatList } from "../format/table.js";
import { execute, parseTemplate } from "../format/template.js";
import { humanSize, humanSizeWithPrecision, shortId, timeAgo } from "../format/units.js";
import type { J } from "../json.js";
import { out } from "./common.js";
import { goTime, splitRef } from "./images.js";

const IMAGE_TABLE =
  "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}\t{{.SharedSize}}\t{{.UniqueSize}}\t{{.Containers}}";
const CONTAINER_TABLE =
  "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.LocalVolumes}}\t{{.Size}}\t{{.RunningFor}}\t{{.Status}}\t{{.Names}}";
const VOLUME_TABLE = "table {{.Name}}\t{{.Links}}\t{{.Size}}";
const CACHE_TABLE =
  "table {{.ID}}\t{{.CacheType}}\t{{.Size}}\t{{.CreatedSince}}\t{{.LastUsedSince}}\t{{.UsageCount}}\t{{.Shared}}";
const HEADERS: Record<string, string> = {
  Repository: "REPOSITORY",
  Tag: "TAG",
  ID: "IMAGE ID",
  CreatedSince: "CREATED",
  Size: "SIZE",
  SharedSize: "SHARED SIZE",
  UniqueSize: "UNIQUE SIZE",
  Containers: "CONTAINERS",
};
const C_HEADERS: Record<string, string> = {
  ID: "CONTAINER ID",
  Image: "IMAGE",
  Command: "COMMAND",
  LocalVolumes: "LOCAL VOLUMES",
  Size: "SIZE",
  RunningFor: "CREATED",
  Status: "STATUS",
  Names: "NAMES",
};
const V_HEADERS: Record<string, string> = { Name: "VOLUME NAME", Links: "LINKS", Size: "SIZE" };
const B_HEADERS: Record<string, string> = {
  ID: "CACHE ID",
  CacheType: "CACHE TYPE",
  Size: "SIZE",
  CreatedSince: "CREATED",
  LastUsedSince: "LAST USED",
  UsageCount: "USAGE",
  Shared: "SHARED",
};

/** Rows as docker's formatter marshals them: keys sorted, functions dropped. */
function sorted(row: J): J {
  const o: J = {};
  for (const k of Object.keys(row).sort()) if (typeof row[k] !== "function") o[k] = row[k];
  return o;
}

function imageRow(i: J, trunc: boolean): J {
  let repo = "<none>";
  let tag = "<none>";
  const first: string | undefined = i.RepoTags?.[0];
  if (first && first !== "<none>:<none>") {
    const r = splitRef(first);
    if (r.tag !== undefined) {
      repo = r.repo;
      tag = r.tag;
    }
  }
  const size = i.Size ?? 0;
  const shared = i.SharedSize ?? -1;
  return {
    Repository: repo,
    Tag: tag,
    ID: trunc ? shortId(i.Id) : i.Id,
    Digest: "",
    CreatedAt: goTime((i.Created ?? 0) * 1000),
    CreatedSince: timeAgo(i.Created ?? 0),
    Size: humanSizeWithPrecision(size, 3),
    SharedSize: shared === -1 ? "N/A" : humanSize(shared),
    UniqueSize: shared === -1 ? "N/A" : humanSize(size - shared),
    VirtualSize: humanSize(size),
    Containers: String(i.Containers ?? 0),
  };
}

function containerRow(c: J, trunc: boolean): J {
  // The verbose view's SIZE is the writable layer alone.
  return { ...containerContext(c, trunc), Size: humanSizeWithPrecision(c.SizeRw ?? 0, 3) };
}

function volumeRow(v: J): J {
  const labels: Record<string, string> = v.Labels ?? {};
  const size = v.UsageData?.Size ?? -1;
  return {
    Availability: "N/A",
    Driver: v.Driver,
    Group: "N/A",
    Labels: Object.keys(labels)
      .sort()
      .map((k) => `${k}=${labels[k]}`)
      .join(","),
    Links: String(v.UsageData?.RefCount ?? 0),
    Mountpoint: v.Mountpoint,
    Name: v.Name,
    Scope: v.Scope ?? "local",
    Size: size === -1 ? "N/A" : humanSize(size),
    Status: "N/A",
  };
}

function cacheRow(b: J, trunc: boolean): J {
  return {
    ID: trunc ? String(b.ID).slice(0, 12) : b.ID,
    Parent: b.Parent ?? "",
    CacheType: b.Type ?? "",
    Description: b.Description ?? "",
    Size: humanSize(b.Size ?? 0),
    CreatedSince: b.CreatedAt ? timeAgo(Date.parse(b.CreatedAt) / 1000) : "",
    LastUsedSince: b.LastUsedAt ? timeAgo(Date.parse(b.LastUsedAt) / 1000) : "",
    UsageCount: String(b.UsageCount ?? 0),
    InUse: String(!!b.InUse),
    Shared: String(!!b.Shared),
  };
}

/** Prints `system df -v` for the /system/df answer `d`, per `format` ("", "json", or a template). */
export function printDfVerbose(d: J, format: string | undefined): void {
  const images: J[] = d.Images ?? [];
  const containers: J[] = d.Containers ?? [];
  const volumes: J[] = d.Volumes ?? [];
  const cache: J[] = d.BuildCache ?? [];
  if (format && format !== "table") {
    const all = {
      Images: images.map((i) => sorted(imageRow(i, false))),
      Containers: containers.map((c) => sorted(containerRow(c, false))),
      Volumes: volumes.map((v) => sorted(volumeRow(v))),
      BuildCache: cache.map((b) => sorted(cacheRow(b, false))),
    };
    // docker prints this JSON object without a trailing newline.
    if (format === "json") out(JSON.stringify(all));
    else out(`${execute(parseTemplate(format.replace(/\\t/g, "\t").replace(/\\n/g, "\n")), all)}\n`);
    return;
  }
  const table = (rows: J[], def: string, headers: Record<string, string>) =>
    formatList(
      rows.map((r) => context(r)),
      { defaultTable: def, headers },
    );
  let s = "Images space usage:\n\n";
  s += table(
    images.map((i) => imageRow(i, true)),
    IMAGE_TABLE,
    HEADERS,
  );
  s += "\nContainers space usage:\n\n";
  s += table(
    containers.map((c) => containerRow(c, true)),
    CONTAINER_TABLE,
    C_HEADERS,
  );
  s += "\nLocal Volumes space usage:\n\n";
  s += table(volumes.map(volumeRow), VOLUME_TABLE, V_HEADERS);
  const cacheSize = cache.filter((b) => !b.Shared).reduce((a, b) => a + (b.Size ?? 0), 0);
  s += `\nBuild cache usage: ${humanSize(cacheSize)}\n\n`;
  s += table(
    cache.map((b) => cacheRow(b, true)),
    CACHE_TABLE,
    B_HEADERS,
  );
  out(s);
}
