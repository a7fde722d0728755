/** docker's container list context: the fields `ps --format` sees. */
import { goTime } from "../commands/images.js";
import { ellipsis, humanSizeWithPrecision, shortId, timeAgo } from "./units.js";
function joinHostPort(ip, port) {
    return ip.includes(":") ? `[${ip}]:${port}` : `${ip}:${port}`;
}
function formGroup(key, start, last) {
    const parts = key.split("/");
    let type = parts[0];
    let ip = "";
    if (parts.length > 1) {
        ip = parts[0];
        type = parts[1];
    }
    let group = String(start);
    if (start !== last)
        group = `${group}-${last}`;
    if (ip)
        group = `${ip}:${group}->${group}`;
    return `${group}/${type}`;
}
/** docker's DisplayablePorts: "0.0.0.0:8080->80/tcp, 443/tcp", ranges grouped. */
export function displayablePorts(input) {
    const ports = [...input].sort((a, b) => {
        if (a.PrivatePort !== b.PrivatePort)
            return a.PrivatePort - b.PrivatePort;
        if ((a.IP ?? "") !== (b.IP ?? ""))
            return (a.IP ?? "") < (b.IP ?? "") ? -1 : 1;
        if ((a.PublicPort ?? 0) !== (b.PublicPort ?? 0))
            return (a.PublicPort ?? 0) - (b.PublicPort ?? 0);
        return a.Type < b.Type ? -1 : a.Type > b.Type ? 1 : 0;
    });
    const groups = new Map();
    const result = [];
    const mappings = [];
    for (const p of ports) {
        const cur = p.PrivatePort;
        let key = p.Type;
        if (p.IP) {
            if (p.PublicPort !== cur) {
                mappings.push(`${joinHostPort(p.IP, p.PublicPort ?? 0)}->${p.PrivatePort}/${p.Type}`);
                continue;
            }
            key = `${p.IP}/${p.Type}`;
        }
        const g = groups.get(key);
        if (!g) {
            groups.set(key, { first: cur, last: cur });
            continue;
        }
        if (cur === g.last + 1) {
            g.last = cur;
            continue;
        }
        result.push(formGroup(key, g.first, g.last));
        // Go re-inserts the key into its map; its place in the final order stays the first one.
        groups.set(key, { first: cur, last: cur });
    }
    for (const [k, g] of groups)
        result.push(formGroup(k, g.first, g.last));
    return [...result, ...mappings].join(", ");
}
/** The row context for one container of GET /containers/json. */
export function containerContext(c, trunc, now = Date.now()) {
    let names = (c.Names ?? []).map((n) => n.replace(/^\//, ""));
    if (trunc) {
        const own = names.find((n) => !n.includes("/"));
        if (own !== undefined)
            names = [own];
    }
    let image = c.Image ?? "";
    if (trunc && /^sha256:[0-9a-f]{64}$/.test(image))
        image = shortId(image);
    else if (trunc && /^[0-9a-f]{64}$/.test(image))
        image = image.slice(0, 12);
    const labels = c.Labels ?? {};
    const srw = humanSizeWithPrecision(c.SizeRw ?? 0, 3);
    const sv = humanSizeWithPrecision(c.SizeRootFs ?? 0, 3);
    return {
        ID: trunc ? shortId(c.Id) : c.Id,
        Names: names.join(","),
        Image: image,
        Command: JSON.stringify(trunc ? ellipsis(c.Command ?? "", 20) : (c.Command ?? "")),
        CreatedAt: goTime((c.Created ?? 0) * 1000),
        RunningFor: timeAgo(c.Created ?? 0, now),
        Ports: displayablePorts(c.Ports ?? []),
        State: c.State ?? "",
        Status: c.Status ?? "",
        Size: (c.SizeRootFs ?? 0) > 0 ? `${srw} (virtual ${sv})` : srw,
        Labels: Object.keys(labels)
            .sort()
            .map((k) => `${k}=${labels[k]}`)
            .join(","),
        Label: (name) => labels[name] ?? "",
        Mounts: (c.Mounts ?? [])
            .map((m) => {
            const n = m.Name || m.Source || "";
            return trunc ? ellipsis(n, 15) : n;
        })
            .join(","),
        LocalVolumes: String((c.Mounts ?? []).filter((m) => m.Driver === "local").length),
        Platform: c.ImageManifestDescriptor?.platform ?? null,
        Networks: Object.keys(c.NetworkSettings?.Networks ?? {})
            .sort()
            .join(","),
    };
}
export const CONTAINER_HEADERS = {
    ID: "CONTAINER ID",
    Names: "NAMES",
    Image: "IMAGE",
    ImageID: "IMAGE ID",
    Command: "COMMAND",
    CreatedAt: "CREATED AT",
    RunningFor: "CREATED",
    Ports: "PORTS",
    State: "STATE",
    Status: "STATUS",
    Size: "SIZE",
    Labels: "LABELS",
    Label: "LABEL",
    Mounts: "MOUNTS",
    LocalVolumes: "LOCAL VOLUMES",
    Networks: "NETWORKS",
};
//# sourceMappingURL=containers.js.map