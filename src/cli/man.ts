/**
 * Man pages (roff, man(7) macros) generated from a commander command tree:
 * NAME, SYNOPSIS, DESCRIPTION, OPTIONS, then every subcommand with its usage,
 * description and options. `make install` writes berth(1) and berthd(8).
 */
import type { Command, Option } from "commander";

/** Escapes text for roff: backslashes, leading dots/quotes, hyphens in flags. */
function esc(s: string): string {
  return s
    .replace(/\\/g, "\\e")
    .replace(/-/g, "\\-")
    .replace(/^([.'])/gm, "\\&$1");
}

function optionItems(opts: readonly Option[]): string {
  let s = "";
  for (const o of opts) {
    if (o.hidden) continue;
    s += `.TP\n.B ${esc(o.flags)}\n${esc(o.description || "")}${o.defaultValue !== undefined && !Array.isArray(o.defaultValue) ? ` (default: ${esc(String(o.defaultValue))})` : ""}\n`;
  }
  return s;
}

function walk(cmd: Command, prefix: string): string {
  let s = "";
  for (const c of cmd.commands) {
    if ((c as unknown as { _hidden?: boolean })._hidden || c.name() === "help") continue;
    const full = `${prefix} ${c.name()}`;
    const args = c.registeredArguments
      .map((a) =>
        a.required ? `<${a.name()}${a.variadic ? "..." : ""}>` : `[${a.name()}${a.variadic ? "..." : ""}]`,
      )
      .join(" ");
    s += `.SS ${esc(full)}\n`;
    s += `.B ${esc(full)}\n${c.options.length ? "[OPTIONS] " : ""}${esc(args)}\n.PP\n${esc(c.description() || "")}\n`;
    if (c.aliases().length) s += `.PP\nAliases: ${esc(c.aliases().join(", "))}\n`;
    s += optionItems(c.options);
    s += walk(c, full);
  }
  return s;
}

/**
 * The man page of `program` in `section` ("1", "8"), dated `date` (YYYY-MM-DD):
 * `about` (plain text paragraphs) as its DESCRIPTION (else the command's own),
 * `extra` roff appended (FILES, ENVIRONMENT, SEE ALSO...).
 */
export function manPage(
  program: Command,
  section: string,
  version: string,
  date: string,
  extra = "",
  about = "",
): string {
  const name = program.name();
  let s = `.TH ${name.toUpperCase()} ${section} "${date}" "berth ${esc(version)}" "berth manual"\n`;
  s += `.SH NAME\n${name} \\- ${esc(program.description() || "")}\n`;
  s += `.SH SYNOPSIS\n.B ${name}\n[OPTIONS]${program.commands.length ? " COMMAND [ARG...]" : ""}\n`;
  const paras = (about || program.description() || "").split(/\n\s*\n/).map((p: string) => esc(p.trim()));
  s += `.SH DESCRIPTION\n${paras.join("\n.PP\n")}\n`;
  s += `.SH OPTIONS\n${optionItems(program.options)}`;
  if (program.commands.length) s += `.SH COMMANDS\n${walk(program, name)}`;
  return s + extra;
}
