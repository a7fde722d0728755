/** What every command group shares: the client from global flags, output helpers, lists, inspect. */
import { createInterface } from "node:readline";
import type { Command } from "commander";
import { CliError, Client, DaemonError } from "../client.js";
import { context, type FormatOptions, formatList } from "../format/table.js";
import { execute, parseTemplate, type TemplateError } from "../format/template.js";

export interface Ctx {
  client(): Client;
  program: Command;
}

export function makeCtx(program: Command): Ctx {
  let c: Client | undefined;
  return {
    program,
    client() {
      if (!c) {
        const o = program.opts();
        c = new Client({
          host: o.host,
          context: o.context,
          tls: o.tls,
          tlsverify: o.tlsverify,
          tlscacert: o.tlscacert,
          tlscert: o.tlscert,
          tlskey: o.tlskey,
        });
      }
      return c;
    },
  };
}

export const out = (s: string): void => {
  process.stdout.write(s);
};
export const err = (s: string): void => {
  process.stderr.write(s);
};

/** Collects a repeated flag. */
export const collect = (v: string, prev: string[] = []): string[] => [...prev, v];

/** --filter k=v list into the API's filters JSON ({"k":{"v":true}}). */
export function filtersJson(list: string[] | undefined): string | undefined {
  if (!list?.length) return undefined;
  const f: Record<string, Record<string, boolean>> = {};
  for (const s of list) {
    const i = s.indexOf("=");
    if (i < 0) throw new CliError(`bad format of filter (expected name=value)`);
    const k = s.slice(0, i).trim().toLowerCase();
    f[k] ??= {};
    f[k][s.slice(i + 1).trim()] = true;
  }
  return JSON.stringify(f);
}

/** Renders a list per docker's formatter and prints it. */
export function printList(items: object[], opts: FormatOptions): void {
  out(
    formatList(
      items.map((i) => context(i)),
      opts,
    ),
  );
}

/** docker's "quiet" list: one value per line. */
export function printLines(lines: string[]): void {
  if (lines.length) out(`${lines.join("\n")}\n`);
}

/** Asks "[y/N]" on stderr/stdin, as docker's prompts do. */
export async function confirm(message: string): Promise<boolean> {
  out(`${message} [y/N] `);
  if (!process.stdin.readable) return false;
  const rl = createInterface({ input: process.stdin });
  const line: string = await new Promise((resolve) => {
    rl.once("line", resolve);
    rl.once("close", () => resolve(""));
  });
  rl.close();
  return /^y(es)?$/i.test(line.trim());
}

/** Runs `fn` for each name, printing errors as docker does, and fails at the end if any failed. */
export async function forEachName(names: string[], fn: (n: string) => Promise<void>): Promise<void> {
  const errors: string[] = [];
  for (const n of names) {
    try {
      await fn(n);
    } catch (e) {
      errors.push(e instanceof CliError ? e.message : String((e as Error).message ?? e));
    }
  }
  if (errors.length) throw new CliError(errors.join("\n"));
}

/** Go's json.Marshal escapes <, > and & in strings (the only places JSON text can hold them). */
export function goJson(json: string): string {
  return json.replace(/[<>&]/g, (c) => `\\u00${c.charCodeAt(0).toString(16)}`);
}

/** Prints inspect results: indented JSON array, or the template per item. */
export function printInspect(items: unknown[], format: string | undefined): void {
  if (!format) {
    out(`${items.length ? goJson(JSON.stringify(items, null, 4)) : "[]"}\n`);
    return;
  }
  if (format === "json") {
    // docker 23+: one compact array (its JSON inspector leaves HTML characters as they are).
    out(`${JSON.stringify(items)}\n`);
    return;
  }
  let tmpl: ReturnType<typeof parseTemplate>;
  try {
    tmpl = parseTemplate(format.replace(/\\t/g, "\t").replace(/\\n/g, "\n"));
  } catch (e) {
    throw new CliError(`template parsing error: template: :1: ${(e as Error).message}`, 64);
  }
  for (const it of items) {
    try {
      out(`${execute(tmpl, it)}\n`);
    } catch (e) {
      throw new CliError(`template: :1: executing "" ${(e as TemplateError).message}`);
    }
  }
}

/**
 * Inspects each name through `get`, docker-style: prints what was found,
 * then "Error: No such object: x" for each missing one (exit 1).
 */
export async function inspectNames(
  names: string[],
  format: string | undefined,
  get: (n: string) => Promise<unknown>,
  kind = "object",
): Promise<void> {
  const found: unknown[] = [];
  const errors: string[] = [];
  for (const n of names) {
    try {
      found.push(await get(n));
    } catch (e) {
      if (e instanceof DaemonError && e.statusCode === 404) errors.push(`Error: No such ${kind}: ${n}`);
      else throw e;
    }
  }
  if (found.length || !format || format === "json") printInspect(found, format);
  if (errors.length) throw new CliError(errors.join("\n"));
}

/** Parses an int flag value (commander passes strings). */
export function int(v: string | undefined, def: number): number {
  if (v === undefined) return def;
  if (!/^-?\d+$/.test(String(v).trim()))
    throw new CliError(`invalid argument "${v}": strconv.ParseInt: parsing "${v}": invalid syntax`);
  return Number(v);
}
