/**
 * Shell completion generated from the commander command tree, in cobra's
 * style: the bash/zsh/fish scripts only ask `berth __complete <words...>`
 * (the words typed after `berth`, the last being the one under the cursor),
 * which answers one candidate a line: subcommands, flags, or the names of
 * containers, images, networks and volumes an argument takes (asked from the
 * daemon; nothing when it can't be reached).
 */
import type { Command, Option } from "commander";
import type { Client } from "./client.js";
import { contextNames } from "./context.js";

type Kind = "container" | "image" | "network" | "volume" | "context";

/** Which objects an argument named like this takes (commander argument names: "container...", "image"). */
function kindOf(argName: string): Kind | undefined {
  const n = argName.replace(/\.\.\.$/, "");
  if (n === "container") return "container";
  if (n === "image" || n === "repository" || n === "source" || n === "repository[:tag]") return "image";
  if (n === "network") return "network";
  if (n === "volume") return "volume";
  if (n === "context") return "context";
  return undefined;
}

function findOption(cmds: Command[], flag: string): Option | undefined {
  for (const c of cmds) {
    const o = c.options.find((o) => o.short === flag || o.long === flag);
    if (o) return o;
  }
  return undefined;
}

/** Names of `kind` objects from the daemon, sorted. */
async function objectNames(client: Client, kind: Kind): Promise<string[]> {
  type J = Record<string, unknown>;
  if (kind === "context") return contextNames();
  if (kind === "container") {
    const list = (await client.get<J[]>("/containers/json", { all: true })) ?? [];
    return list.flatMap((c) => ((c.Names as string[]) ?? []).map((n) => n.replace(/^\//, ""))).sort();
  }
  if (kind === "image") {
    const list = (await client.get<J[]>("/images/json")) ?? [];
    return list
      .flatMap((i) => (i.RepoTags as string[] | null) ?? [])
      .filter((t) => t !== "<none>:<none>")
      .sort();
  }
  if (kind === "network") {
    const list = (await client.get<J[]>("/networks")) ?? [];
    return list.map((n) => String(n.Name)).sort();
  }
  const r = await client.get<{ Volumes?: J[] }>("/volumes");
  return (r?.Volumes ?? []).map((v) => String(v.Name)).sort();
}

/**
 * Completion candidates for `words` (typed after the program name; the last
 * one is being completed, "" for a new word). `client` makes the client from
 * the global options typed so far. Never throws for an unreachable daemon.
 */
export async function complete(
  program: Command,
  words: string[],
  client: (globals: Record<string, string>) => Client,
): Promise<string[]> {
  const cur = words.at(-1) ?? "";
  const done = words.slice(0, -1);
  const path: Command[] = [program];
  const globals: Record<string, string> = {};
  let cmd = program;
  let positional = 0;
  for (let i = 0; i < done.length; i++) {
    const w = done[i]!;
    if (w.startsWith("-") && w !== "-") {
      if (w.includes("=")) continue;
      const o = findOption([...path].reverse(), w);
      if (o && (o.required || o.optional) && i + 1 === done.length && o.long === "--context") {
        // the value of --context is being typed
        return (await contextNames()).filter((n) => n.startsWith(cur));
      }
      if (o && (o.required || o.optional) && i + 1 < done.length) {
        if (cmd === program) globals[o.attributeName()] = done[i + 1]!;
        i++;
      }
      continue;
    }
    const sub = cmd.commands.find((c) => c.name() === w || c.aliases().includes(w));
    if (sub && positional === 0) {
      cmd = sub;
      path.push(sub);
      continue;
    }
    positional++;
  }
  const starts = (s: string) => s.startsWith(cur);
  if (cur.startsWith("-")) {
    return cmd.options
      .filter((o) => !o.hidden)
      .flatMap((o) => [o.long, o.short].filter((f): f is string => !!f))
      .filter(starts);
  }
  if (cmd.commands.length && positional === 0) {
    return cmd.commands
      .filter((c) => !(c as unknown as { _hidden?: boolean })._hidden && c.name() !== "help")
      .map((c) => c.name())
      .filter(starts)
      .sort();
  }
  const args = cmd.registeredArguments;
  const arg = args[Math.min(positional, args.length - 1)];
  if (!arg || (positional >= args.length && !arg.variadic)) return [];
  const kind = kindOf(arg.name());
  if (!kind) return [];
  try {
    return (await objectNames(client(globals), kind)).filter(starts);
  } catch {
    return [];
  }
}

/** The completion script for `shell` ("bash", "zsh" or "fish") of the program `name`; throws for others. */
export function completionScript(shell: string, name = "berth"): string {
  const fn = `_${name.replace(/[^A-Za-z0-9_]/g, "_")}`;
  if (shell === "bash")
    return `# bash completion for ${name}: source this file, or install it as
# /usr/share/bash-completion/completions/${name}
${fn}() {
  # The words up to the cursor, split on blanks only (bash also splits on : and =, which
  # image names and flag values contain), the last one being completed.
  local line=\${COMP_LINE:0:COMP_POINT}
  local -a words
  read -ra words <<<"$line"
  [[ -z $line || $line == *[[:blank:]] ]] && words+=("")
  local cur=\${words[\${#words[@]}-1]}
  local IFS=$'\\n'
  COMPREPLY=($(compgen -W "$(${name} __complete "\${words[@]:1}" 2>/dev/null)" -- "$cur"))
  # bash replaces only what follows the last : or = of the word: drop that much of each reply.
  local pre=\${cur%"\${cur##*[:=]}"}
  [[ -n $pre ]] && COMPREPLY=("\${COMPREPLY[@]#"$pre"}")
  return 0
}
complete -o default -F ${fn} ${name}
`;
  if (shell === "zsh")
    return `#compdef ${name}
# zsh completion for ${name}: put this file in $fpath as _${name}, or source it
${fn}() {
  local -a cands
  cands=("\${(@f)$(${name} __complete "\${(@)words[2,CURRENT]}" 2>/dev/null)}")
  cands=(\${cands:#})
  (( \${#cands} )) && compadd -- "\${cands[@]}"
}
if [ "$funcstack[1]" = "${fn}" ]; then
  ${fn} "$@"
else
  compdef ${fn} ${name}
fi
`;
  if (shell === "fish")
    return `# fish completion for ${name}: install as ~/.config/fish/completions/${name}.fish
function __${name}_complete
    set -l tokens (commandline -opc) (commandline -ct)
    ${name} __complete $tokens[2..-1] 2>/dev/null
end
complete -c ${name} -f -a '(__${name}_complete)'
`;
  throw new Error(`unsupported shell "${shell}": use bash, zsh or fish`);
}
