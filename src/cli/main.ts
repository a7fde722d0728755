#!/usr/bin/env node
/**
 * berth: a docker-compatible CLI. Parses docker's syntax with commander and
 * talks to berthd over the Engine API only (see client.ts); exits with
 * docker's statuses (1 for a failed command, 125/126/127 and the container's
 * own status for run).
 */
import { realpathSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { CommanderError } from "commander";
import { CliError, Client } from "./client.js";
import { complete } from "./completion.js";
import { TemplateError } from "./format/template.js";
import { buildProgram } from "./program.js";

export { buildProgram };

/** Flushes stdout/stderr, then exits with `code`. */
export async function exit(code: number): Promise<never> {
  await new Promise<void>((r) => process.stdout.write("", () => r()));
  await new Promise<void>((r) => process.stderr.write("", () => r()));
  process.exit(code);
}

async function main(): Promise<void> {
  process.stdout.on("error", (e: NodeJS.ErrnoException) => {
    if (e.code === "EPIPE") process.exit(0);
  });
  const program = buildProgram();
  // The completion scripts' back end: candidates for the words typed so far, one a line.
  if (process.argv[2] === "__complete") {
    const words = process.argv.slice(3);
    const found = await complete(
      program,
      words.length ? words : [""],
      (g) => new Client({ host: g.host, context: g.context }),
    );
    if (found.length) process.stdout.write(`${found.join("\n")}\n`);
    await exit(0);
  }
  try {
    await program.parseAsync(process.argv);
    await exit(typeof process.exitCode === "number" ? process.exitCode : 0);
  } catch (e) {
    if (e instanceof CommanderError) {
      if (
        e.code === "commander.helpDisplayed" ||
        e.code === "commander.version" ||
        e.code === "commander.help"
      )
        await exit(0);
      // As docker: a usage error (unknown flag, missing argument) exits 125.
      await exit(e.exitCode === 0 ? 0 : 125);
    }
    if (e instanceof CliError) {
      if (e.message) process.stderr.write(`${e.message}\n`);
      await exit(e.exitCode);
    }
    if (e instanceof TemplateError) {
      process.stderr.write(`${e.message}\n`);
      await exit(1);
    }
    process.stderr.write(`${(e as Error)?.message ?? String(e)}\n`);
    await exit(1);
  }
}

// Run only as the entry point (tests import buildProgram).
function isEntry(): boolean {
  try {
    return !!process.argv[1] && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url);
  } catch {
    return false;
  }
}
if (isEntry()) void main();
