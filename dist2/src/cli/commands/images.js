import { CliError } from "../client.js";
import { ellipsis, humanSize, humanSizeWithPrecision, shortId, timeAgo } from "../format/units.js";
import { collect, confirm, filtersJson, forEachName, int, out, printLines, printList, } from "./common.js";
import { addTypedInspect } from "./inspect.js";
import { pruneReport } from "./system.js";
/** Docker's familiar name: docker.io/library/x → x, docker.io/u/x → u/x. */
export function familiarName(name) {
    return name.replace(/^docker\.io\/library\//, "").replace(/^docker\.io\//, "");
}
/** Splits "repo:tag" / "repo@digest" (a port in the registry host is not a tag). */
export function splitRef(ref) {
    const at = ref.indexOf("@");
    if (at >= 0)
        return { repo: ref.slice(0, at), digest: ref.slice(at + 1) };
    const slash = ref.lastIndexOf("/");
    const colon = ref.lastIndexOf(":");
    if (colon > slash)
        return { repo: ref.slice(0, colon), tag: ref.slice(colon + 1) };
    return { repo: ref };
}
/** Go's time.Time String(): "2006-01-02 15:04:05 -0700 MST" (local time). */
export function goTime(ms) {
    const d = new Date(ms);
    const off = -d.getTimezoneOffset();
    const local = new Date(ms + off * 60000).toISOString().replace("T", " ").slice(0, 19);
    const sign = off >= 0 ? "+" : "-";
    const hh = String(Math.trunc(Math.abs(off) / 60)).padStart(2, "0");
    const mm = String(Math.abs(off) % 60).padStart(2, "0");
    const zone = off === 0
        ? "UTC"
        : (Intl.DateTimeFormat("en-US", { timeZoneName: "short" })
            .formatToParts(d)
            .find((p) => p.type === "timeZoneName")?.value ?? `${sign}${hh}`);
    return `${local} ${sign}${hh}${mm} ${zone}`;
}
function imageRows(images, o) {
    const rows = [];
    const trunc = o.trunc !== false;
    const mk = (img, repo, tag, digest) => ({
        ID: trunc ? shortId(img.Id) : img.Id,
        Repository: repo,
        Tag: tag,
        Digest: digest,
        CreatedSince: timeAgo(img.Created),
        CreatedAt: goTime(img.Created * 1000),
        Size: humanSizeWithPrecision(img.Size ?? 0, 3),
        Containers: img.Containers === -1 ? "N/A" : String(img.Containers ?? "N/A"),
        VirtualSize: humanSize(img.VirtualSize ?? img.Size ?? 0),
        SharedSize: img.SharedSize === -1 ? "N/A" : humanSizeWithPrecision(img.SharedSize ?? 0, 3),
        UniqueSize: img.SharedSize === -1 ? "N/A" : humanSizeWithPrecision((img.Size ?? 0) - (img.SharedSize ?? 0), 3),
    });
    for (const img of images) {
        const tags = new Map();
        const digests = new Map();
        for (const rt of img.RepoTags ?? []) {
            if (rt === "<none>:<none>")
                continue;
            const r = splitRef(rt);
            const name = familiarName(r.repo);
            tags.set(name, [...(tags.get(name) ?? []), r.tag ?? "latest"]);
        }
        for (const rd of img.RepoDigests ?? []) {
            if (rd === "<none>@<none>")
                continue;
            const r = splitRef(rd);
            const name = familiarName(r.repo);
            digests.set(name, [...(digests.get(name) ?? []), r.digest ?? ""]);
        }
        for (const [repo, ts] of tags) {
            const ds = o.digests ? (digests.get(repo) ?? []) : [];
            digests.delete(repo);
            for (const t of ts) {
                if (!ds.length)
                    rows.push(mk(img, repo, t, "<none>"));
                for (const d of ds)
                    rows.push(mk(img, repo, t, d));
            }
        }
        for (const [repo, ds] of digests) {
            if (o.digests)
                for (const d of ds)
                    rows.push(mk(img, repo, "<none>", d));
            else
                rows.push(mk(img, repo, "<none>", "<none>"));
        }
        if (!tags.size && !digests.size)
            rows.push(mk(img, "<none>", "<none>", "<none>"));
    }
    return rows;
}
async function listImages(ctx, repo, o) {
    const filters = o.filter ?? [];
    if (repo)
        filters.push(`reference=${repo}`);
    const images = await ctx.client().get("/images/json", {
        all: o.all ? true : undefined,
        filters: filtersJson(filters),
        digests: o.digests ? true : undefined,
    });
    const rows = imageRows(images ?? [], o);
    if (o.quiet) {
        printLines(rows.map((r) => r.ID));
        return;
    }
    const def = o.digests
        ? "table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}"
        : "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}";
    printList(rows, {
        format: o.format,
        defaultTable: def,
        headers: {
            ID: "IMAGE ID",
            Repository: "REPOSITORY",
            Tag: "TAG",
            Digest: "DIGEST",
            CreatedSince: "CREATED",
            CreatedAt: "CREATED AT",
            Size: "SIZE",
            Containers: "CONTAINERS",
            VirtualSize: "VIRTUAL SIZE",
            SharedSize: "SHARED SIZE",
            UniqueSize: "UNIQUE SIZE",
        },
    });
}
async function history(ctx, name, o) {
    const h = await ctx.client().get(`/images/${name}/history`);
    const trunc = o.trunc !== false;
    const rows = (h ?? []).map((l) => ({
        ID: l.Id && l.Id !== "<missing>" ? (trunc ? shortId(l.Id) : l.Id) : "<missing>",
        CreatedSince: o.human === false ? new Date(l.Created * 1000).toISOString().replace(".000Z", "Z") : timeAgo(l.Created),
        CreatedAt: new Date(l.Created * 1000).toISOString().replace(".000Z", "Z"),
        CreatedBy: trunc ? ellipsis((l.CreatedBy ?? "").replace(/\t/g, " "), 45) : (l.CreatedBy ?? ""),
        Size: o.human === false ? String(l.Size) : humanSizeWithPrecision(l.Size ?? 0, 3),
        Comment: l.Comment ?? "",
    }));
    if (o.quiet) {
        printLines(rows.map((r) => r.ID));
        return;
    }
    printList(rows, {
        format: o.format,
        defaultTable: "table {{.ID}}\t{{.CreatedSince}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}",
        headers: {
            ID: "IMAGE",
            CreatedSince: "CREATED",
            CreatedAt: "CREATED AT",
            CreatedBy: "CREATED BY",
            Size: "SIZE",
            Comment: "COMMENT",
        },
    });
}
async function tag(ctx, source, target) {
    const r = splitRef(target);
    if (r.digest)
        throw new CliError("refusing to create a tag with a digest reference");
    await ctx
        .client()
        .json("POST", `/images/${source}/tag`, { query: { repo: r.repo, tag: r.tag ?? "latest" } });
}
async function rmi(ctx, names, o) {
    await forEachName(names, async (n) => {
        const res = await ctx.client().json("DELETE", `/images/${n}`, {
            query: { force: o.force ? true : undefined, noprune: o.prune === false ? true : undefined },
        });
        for (const d of res ?? []) {
            if (d.Untagged)
                out(`Untagged: ${d.Untagged}\n`);
            if (d.Deleted)
                out(`Deleted: ${d.Deleted}\n`);
        }
    });
}
async function prune(ctx, o) {
    if (!o.force) {
        const warn = o.all
            ? "WARNING! This will remove all images without at least one container associated to them."
            : "WARNING! This will remove all dangling images.";
        if (!(await confirm(`${warn}\nAre you sure you want to continue?`)))
            return;
    }
    const f = JSON.parse(filtersJson(o.filter) ?? "{}");
    f.dangling = { [o.all ? "false" : "true"]: true };
    const r = await ctx.client().post("/images/prune", { filters: JSON.stringify(f) });
    const lines = (r?.ImagesDeleted ?? []).map((d) => d.Untagged ? `untagged: ${d.Untagged}` : `deleted: ${d.Deleted}`);
    pruneReport("Deleted Images", lines, r?.SpaceReclaimed);
}
async function search(ctx, term, o) {
    const res = await ctx
        .client()
        .get("/images/search", { term, limit: o.limit, filters: filtersJson(o.filter) });
    const trunc = o.trunc !== false;
    const rows = (res ?? []).map((r) => ({
        Name: r.name,
        Description: trunc ? ellipsis((r.description ?? "").replace(/\n/g, " "), 45) : (r.description ?? ""),
        StarCount: String(r.star_count ?? 0),
        IsOfficial: r.is_official ? "[OK]" : "",
        IsAutomated: r.is_automated ? "[OK]" : "",
    }));
    printList(rows, {
        format: o.format,
        defaultTable: "table {{.Name}}\t{{.Description}}\t{{.StarCount}}\t{{.IsOfficial}}",
        headers: {
            Name: "NAME",
            Description: "DESCRIPTION",
            StarCount: "STARS",
            IsOfficial: "OFFICIAL",
            IsAutomated: "AUTOMATED",
        },
    });
}
function lsFlags(c) {
    return c
        .option("-a, --all", "Show all images (default hides intermediate images)")
        .option("--digests", "Show digests")
        .option("-f, --filter <filter>", "Filter output based on conditions provided", collect, [])
        .option("--format <string>", "Format output using a custom template")
        .option("--no-trunc", "Don't truncate output")
        .option("-q, --quiet", "Only show image IDs")
        .option("--tree", "List multi-platform images as a tree (ignored)");
}
export function register(program, ctx) {
    const image = program.command("image").description("Manage images");
    for (const c of [program.command("images"), image.command("ls").alias("list")]) {
        lsFlags(c.description("List images").argument("[repository]")).action((repo, o) => listImages(ctx, repo, o));
    }
    addTypedInspect(image, ctx, "image");
    for (const c of [program.command("history"), image.command("history")]) {
        c.description("Show the history of an image")
            .argument("<image>")
            .option("--format <string>", "Format output using a custom template")
            .option("-H, --human [bool]", "Print sizes and dates in human readable format", (v) => v !== "false", true)
            .option("--no-trunc", "Don't truncate output")
            .option("-q, --quiet", "Only show image IDs")
            .action((n, o) => history(ctx, n, o));
    }
    for (const c of [program.command("tag"), image.command("tag")]) {
        c.description("Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE")
            .argument("<source>")
            .argument("<target>")
            .action((s, t) => tag(ctx, s, t));
    }
    for (const c of [program.command("rmi"), image.command("rm").alias("remove")]) {
        c.description("Remove one or more images")
            .argument("<image...>")
            .option("-f, --force", "Force removal of the image")
            .option("--no-prune", "Do not delete untagged parents")
            .action((n, o) => rmi(ctx, n, o));
    }
    image
        .command("prune")
        .description("Remove unused images")
        .option("-a, --all", "Remove all unused images, not just dangling ones")
        .option("-f, --force", "Do not prompt for confirmation")
        .option("--filter <filter>", "Provide filter values", collect, [])
        .action((o) => prune(ctx, o));
    program
        .command("search")
        .description("Search registries for images")
        .argument("<term>")
        .option("-f, --filter <filter>", "Filter output based on conditions provided", collect, [])
        .option("--format <string>", "Pretty-print search using a Go template")
        .option("--limit <int>", "Max number of search results", (v) => String(int(v, 25)))
        .option("--no-trunc", "Don't truncate output")
        .action((t, o) => search(ctx, t, o));
}
//# sourceMappingURL=images.js.map