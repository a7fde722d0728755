/**
 * `context ls|show|use|inspect|create|rm`, on docker's own storage (see
 * ../context.ts), so berth and the docker CLI share their contexts.
 */
import { mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Command } from "commander";
import { loadConfig, saveConfig } from "../auth.js";
import { CliError, DEFAULT_HOST } from "../client.js";
import { configDir, contextName, contextPaths } from "../context.js";
import type { J } from "../json.js";
import { type Ctx, err, out, printInspect, printList } from "./common.js";

const DEFAULT_DESCRIPTION = "Current DOCKER_HOST based configuration";

/** Every stored context's meta.json, plus the in-memory "default", sorted by name as docker lists them. */
async function allContexts(): Promise<J[]> {
  const env = process.env;
  const def = {
    Name: "default",
    Metadata: {},
    Endpoints: { docker: { Host: env.BERTH_HOST || env.DOCKER_HOST || DEFAULT_HOST, SkipTLSVerify: false } },
  };
  const dir = join(configDir(), "contexts", "meta");
  const stored: J[] = [];
  for (const id of await readdir(dir).catch(() => [] as string[])) {
    try {
      stored.push(JSON.parse(await readFile(join(dir, id, "meta.json"), "utf8")));
    } catch {
      // not a context directory
    }
  }
  return [def, ...stored].sort((a, b) => (a.Name < b.Name ? -1 : a.Name > b.Name ? 1 : 0));
}

async function find(name: string): Promise<J> {
  const c = (await allContexts()).find((x) => x.Name === name);
  if (!c) throw new CliError(`context "${name}" does not exist`);
  return c;
}

async function ls(ctx: Ctx, o: J): Promise<void> {
  const current = contextName({ context: ctx.program.opts().context });
  const list = await allContexts();
  if (o.quiet) {
    out(`${list.map((c) => c.Name).join("\n")}\n`);
    return;
  }
  printList(
    list.map((c) => ({
      Name: c.Name,
      Description: c.Name === "default" ? DEFAULT_DESCRIPTION : (c.Metadata?.Description ?? ""),
      DockerEndpoint: c.Endpoints?.docker?.Host ?? "",
      Current: c.Name === current,
      Error: "",
    })),
    {
      format: o.format,
      defaultTable:
        "table {{.Name}}{{if .Current}} *{{end}}\t{{.Description}}\t{{.DockerEndpoint}}\t{{.Error}}",
      headers: {
        Name: "NAME",
        Description: "DESCRIPTION",
        DockerEndpoint: "DOCKER ENDPOINT",
        Error: "ERROR",
      },
    },
  );
}

async function use(name: string): Promise<void> {
  if (name !== "default") await find(name);
  const cfg = await loadConfig();
  if (name === "default") delete cfg.currentContext;
  else cfg.currentContext = name;
  await saveConfig(cfg);
  out(`${name}\n`);
  err(`Current context is now "${name}"\n`);
  if (process.env.DOCKER_HOST)
    err(
      `Warning: DOCKER_HOST environment variable overrides the active context. To use "${name}", either set the global --context flag, or unset DOCKER_HOST environment variable.\n`,
    );
}

async function inspect(ctx: Ctx, names: string[], o: J): Promise<void> {
  const list = names.length ? names : [contextName({ context: ctx.program.opts().context })];
  const found: J[] = [];
  const missing: string[] = [];
  for (const n of list) {
    const c = (await allContexts()).find((x) => x.Name === n);
    if (!c) {
      missing.push(
        `context "${n}": context not found: open ${join(contextPaths(n).meta, "meta.json")}: no such file or directory`,
      );
      continue;
    }
    const p = contextPaths(n);
    const mem = n === "default";
    found.push({
      ...c,
      TLSMaterial: {},
      Storage: { MetadataPath: mem ? "<IN MEMORY>" : p.meta, TLSPath: mem ? "<IN MEMORY>" : p.tls },
    });
  }
  printInspect(found, o.format);
  if (missing.length) throw new CliError(missing.join("\n"));
}

/** Parses --docker "host=unix:///x,skip-tls-verify=true". */
function dockerEndpoint(spec: string | undefined): J {
  const ep: J = { Host: "", SkipTLSVerify: false };
  for (const part of (spec ?? "").split(",").filter(Boolean)) {
    const i = part.indexOf("=");
    const k = i < 0 ? part : part.slice(0, i);
    const v = i < 0 ? "" : part.slice(i + 1);
    if (k === "host") ep.Host = v;
    else if (k === "skip-tls-verify") ep.SkipTLSVerify = v === "true";
    else throw new CliError(`unable to create docker endpoint config: unrecognized config key: ${k}`);
  }
  if (!ep.Host) ep.Host = process.env.DOCKER_HOST || DEFAULT_HOST;
  return ep;
}

async function create(name: string, o: J): Promise<void> {
  if (!/^[a-zA-Z0-9][a-zA-Z0-9_.+-]+$/.test(name) || name === "default")
    throw new CliError(
      name === "default"
        ? `"default" is a reserved context name`
        : `context name "${name}" is invalid, names are validated against regexp "^[a-zA-Z0-9][a-zA-Z0-9_.+-]+$"`,
    );
  if ((await allContexts()).some((c) => c.Name === name))
    throw new CliError(`context "${name}" already exists`);
  const meta = {
    Name: name,
    Metadata: o.description ? { Description: o.description } : {},
    Endpoints: { docker: dockerEndpoint(o.docker) },
  };
  const dir = contextPaths(name).meta;
  await mkdir(dir, { recursive: true, mode: 0o755 });
  const tmp = join(dir, `.meta.json.tmp-${process.pid}`);
  await writeFile(tmp, JSON.stringify(meta), { mode: 0o644 });
  await rename(tmp, join(dir, "meta.json"));
  out(`${name}\n`);
  err(`Successfully created context "${name}"\n`);
}

async function remove(ctx: Ctx, names: string[], o: J): Promise<void> {
  const current = contextName({ context: ctx.program.opts().context });
  const errors: string[] = [];
  for (const n of names) {
    try {
      if (n === "default") throw new CliError(`context "default" cannot be removed`);
      await find(n);
      if (n === current && !o.force)
        throw new CliError(`context "${n}" is in use, set -f flag to force remove`);
      if (n === current) await use("default");
      const p = contextPaths(n);
      await rm(p.meta, { recursive: true, force: true });
      await rm(p.tls, { recursive: true, force: true });
      out(`${n}\n`);
    } catch (e) {
      errors.push((e as Error).message);
    }
  }
  if (errors.length) throw new CliError(errors.join("\n"));
}

export function register(program: Command, ctx: Ctx): void {
  const c = program.command("context").description("Manage contexts");
  c.command("ls")
    .alias("list")
    .description("List contexts")
    .option("--format <string>", "Format output using a custom template")
    .option("-q, --quiet", "Only show context names")
    .action((o) => ls(ctx, o));
  c.command("show")
    .description("Print the name of the current context")
    .action(() => out(`${contextName({ context: program.opts().context })}\n`));
  c.command("use")
    .description("Set the current docker context")
    .argument("<context>")
    .action((n: string) => use(n));
  c.command("inspect")
    .description("Display detailed information on one or more contexts")
    .argument("[context...]")
    .option("-f, --format <string>", "Format output using a custom template")
    .action((names: string[], o) => inspect(ctx, names, o));
  c.command("create")
    .description("Create a context")
    .argument("<context>")
    .option("--description <string>", "Description of the context")
    .option("--docker <stringToString>", "set the docker endpoint")
    .action((n: string, o) => create(n, o));
  c.command("rm")
    .alias("remove")
    .description("Remove one or more contexts")
    .argument("<context...>")
    .option("-f, --force", "Force the removal of a context in use")
    .action((names: string[], o) => remove(ctx, names, o));
}
