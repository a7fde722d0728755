/**
 * docker's answer to an unknown command (docker CLI 28, cobra):
 *   docker: unknown command: docker imagse
 *
 *   Run 'docker --help' for more information
 * with cobra's "Did you mean this?" hint when a command is close.
 */
import type { Command } from "commander";
import { CliError } from "./client.js";

/** Edit distance (Damerau-free Levenshtein), as cobra's suggestions use. */
function distance(a: string, b: string): number {
  const d = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = d[0]!;
    d[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = d[j]!;
      d[j] = Math.min(d[j]! + 1, d[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return d[b.length]!;
}

/** Names of `cmd`'s visible subcommands within cobra's suggestion distance (2) or sharing the prefix. */
export function suggestions(cmd: Command, typed: string): string[] {
  const out: string[] = [];
  for (const c of cmd.commands) {
    if ((c as unknown as { _hidden?: boolean })._hidden) continue;
    const names = [c.name(), ...c.aliases()];
    if (names.some((n) => distance(typed.toLowerCase(), n) <= 2 || n.startsWith(typed.toLowerCase())))
      out.push(c.name());
  }
  return out;
}

/** Full command path: "berth container". */
function path(cmd: Command): string {
  const parts: string[] = [];
  for (let c: Command | null = cmd; c; c = c.parent) parts.unshift(c.name());
  return parts.join(" ");
}

/** The CliError (exit 1) docker prints for `typed` under `cmd`. */
export function unknownCommandError(cmd: Command, typed: string[]): CliError {
  const p = path(cmd);
  let msg = `berth: unknown command: ${p} ${typed.join(" ")}\n`;
  const near = suggestions(cmd, typed[0] ?? "");
  if (near.length) msg += `\nDid you mean this?\n${near.map((n) => `\t${n}\n`).join("")}`;
  if (cmd.parent) msg += `\nUsage:  ${p}\n`;
  msg += `\nRun '${p} --help' for more information`;
  return new CliError(msg, 1);
}

/**
 * Makes `cmd` (a command with subcommands) answer unknown subcommands and
 * stray arguments as docker does instead of commander's "too many arguments".
 */
export function docker404(cmd: Command): void {
  const c = cmd as unknown as {
    unknownCommand(): void;
    _excessArguments(args: string[]): void;
    args: string[];
  };
  c.unknownCommand = () => {
    throw unknownCommandError(cmd, c.args);
  };
  c._excessArguments = (args: string[]) => {
    if (args.length) throw unknownCommandError(cmd, args);
  };
}
