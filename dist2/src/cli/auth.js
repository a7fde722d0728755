/**
 * Registry credentials in docker's ~/.docker/config.json format:
 * `auths.<server>.auth` = base64("user:pass"), or a credential helper
 * (`credHelpers[server]` / `credsStore`) run as docker-credential-<name>.
 */
import { spawn } from "node:child_process";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { CliError } from "./client.js";
export const INDEX_SERVER = "https://index.docker.io/v1/";
export function configPath(env = process.env) {
    return join(env.DOCKER_CONFIG || join(homedir(), ".docker"), "config.json");
}
export async function loadConfig(path = configPath()) {
    try {
        return JSON.parse(await readFile(path, "utf8"));
    }
    catch (e) {
        if (e.code === "ENOENT")
            return {};
        throw new CliError(`loading config file ${path}: ${e.message}`);
    }
}
async function saveConfig(cfg, path = configPath()) {
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    const tmp = `${path}.tmp-${process.pid}`;
    await writeFile(tmp, `${JSON.stringify(cfg, null, "\t")}\n`, { mode: 0o600 });
    await rename(tmp, path);
}
/** The registry host of an image reference ("docker.io" refs map to the index server key). */
export function registryOf(ref) {
    const i = ref.indexOf("/");
    if (i < 0)
        return INDEX_SERVER;
    const first = ref.slice(0, i);
    if (!first.includes(".") && !first.includes(":") && first !== "localhost")
        return INDEX_SERVER;
    if (first === "docker.io" || first === "index.docker.io")
        return INDEX_SERVER;
    return first;
}
function helperFor(cfg, server) {
    return cfg.credHelpers?.[server] ?? cfg.credsStore;
}
function runHelper(helper, action, input) {
    return new Promise((resolve, reject) => {
        const p = spawn(`docker-credential-${helper}`, [action], { stdio: ["pipe", "pipe", "pipe"] });
        let out = "";
        p.stdout.on("data", (c) => (out += c));
        p.stderr.on("data", (c) => (out += c));
        p.on("error", (e) => reject(new CliError(`error getting credentials - err: ${e.message}`)));
        p.on("close", (code) => code === 0
            ? resolve(out)
            : reject(new CliError(out.trim() || `docker-credential-${helper} ${action} failed`)));
        p.stdin.end(input);
    });
}
/** The stored credentials for a registry, or an empty config. */
export async function getAuth(server) {
    const cfg = await loadConfig();
    const helper = helperFor(cfg, server);
    if (helper) {
        try {
            const r = JSON.parse(await runHelper(helper, "get", server));
            if (r.Username === "<token>")
                return { identitytoken: r.Secret, serveraddress: server };
            return { username: r.Username, password: r.Secret, serveraddress: server };
        }
        catch {
            return {};
        }
    }
    const entry = cfg.auths?.[server] ?? cfg.auths?.[`https://${server}`] ?? cfg.auths?.[`http://${server}`];
    if (!entry)
        return {};
    const out = { serveraddress: server };
    if (entry.auth) {
        const dec = Buffer.from(entry.auth, "base64").toString("utf8");
        const i = dec.indexOf(":");
        out.username = dec.slice(0, i);
        out.password = dec.slice(i + 1);
    }
    if (entry.identitytoken)
        out.identitytoken = entry.identitytoken;
    return out;
}
/** The X-Registry-Auth header value (base64url JSON), as docker sends it. */
export function encodeAuth(a) {
    return Buffer.from(JSON.stringify(a)).toString("base64url");
}
export async function storeAuth(server, username, password, token) {
    const path = configPath();
    const cfg = await loadConfig(path);
    const helper = helperFor(cfg, server);
    if (helper) {
        await runHelper(helper, "store", JSON.stringify({
            ServerURL: server,
            Username: token ? "<token>" : username,
            Secret: token ?? password,
        }));
        cfg.auths ??= {};
        cfg.auths[server] = {};
    }
    else {
        cfg.auths ??= {};
        cfg.auths[server] = { auth: Buffer.from(`${username}:${password}`).toString("base64") };
        if (token)
            cfg.auths[server].identitytoken = token;
    }
    await saveConfig(cfg, path);
    return helper ? "" : path;
}
/** Removes stored credentials; false when there were none. */
export async function eraseAuth(server) {
    const path = configPath();
    const cfg = await loadConfig(path);
    const helper = helperFor(cfg, server);
    let had = !!cfg.auths?.[server];
    if (helper) {
        try {
            await runHelper(helper, "erase", server);
            had = true;
        }
        catch {
            // nothing stored in the helper
        }
    }
    if (cfg.auths?.[server])
        delete cfg.auths[server];
    await saveConfig(cfg, path);
    return had;
}
//# sourceMappingURL=auth.js.map