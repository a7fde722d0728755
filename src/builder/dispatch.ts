/**
 * One handler per instruction (as moby's `builder/dockerfile/dispatchers.go`).
 * Metadata instructions live here; RUN is `run.ts`, COPY/ADD `copystep.ts`.
 * Words are processed with the Dockerfile's escape token (`shell.ts`).
 */
import { posix } from "node:path";
import { applyChange } from "../image/changes.js";
import type { ImageConfig } from "../image/types.js";
import { invalid } from "../util/errors.js";
import { type ContainerConfig, commitFiles, commitMeta } from "./commit.js";
import { mkdirInto } from "./copy.js";
import { copy } from "./copystep.js";
import type { Instruction } from "./dockerfile.js";
import { jsonForm } from "./dockerfile.js";
import { run } from "./run.js";
import { keyValues, processWord } from "./shell.js";
import type { Handler, StageState, StepContext } from "./types.js";

/** Env for expansion: the stage's ARGs, then the image's ENV (ENV wins). */
function lookupOf(st: StageState): (k: string) => string | undefined {
  const m = new Map<string, string>(st.args);
  for (const e of st.config.config?.Env ?? []) {
    const i = e.indexOf("=");
    m.set(e.slice(0, i), e.slice(i + 1));
  }
  return (k) => m.get(k);
}

const word = (ins: Instruction, st: StageState, c: StepContext) => processWord(ins.args, lookupOf(st), c.esc);

const meta = (
  st: StageState,
  c: StepContext,
  summary: string,
  fn: (cfg: ContainerConfig, img: ImageConfig) => void,
) => commitMeta(st, summary, fn, c);

/** A config change Docker's `--change` syntax also expresses (EXPOSE, VOLUME, STOPSIGNAL, USER). */
const asChange: Handler = (ins, st, c) => {
  // The JSON form (VOLUME ["/a", "/b"]) keeps its form; each element is processed.
  const arr = jsonForm(ins.args);
  const v = arr ? JSON.stringify(arr.map((a) => processWord(a, lookupOf(st), c.esc))) : word(ins, st, c);
  return meta(st, c, `${ins.cmd.toUpperCase()} ${v}`, (cfg) => applyChange(cfg, `${ins.cmd} ${v}`));
};

const cmdOrEntrypoint: Handler = (ins, st, c) => {
  const arr = jsonForm(ins.args) ?? [...st.shell, ins.args];
  const shown = `[${arr.map((a) => JSON.stringify(a)).join(" ")}]`;
  return meta(st, c, `${ins.cmd.toUpperCase()} ${shown}`, (cfg) => {
    if (ins.cmd === "cmd") {
      cfg.Cmd = arr;
      st.cmdSet = true;
    } else {
      cfg.Entrypoint = arr;
      // ENTRYPOINT resets a CMD inherited from the base image, as Docker does.
      if (!st.cmdSet) cfg.Cmd = null;
    }
  });
};

export const dispatchers: Record<string, Handler> = {
  arg: (ins, st, c) => {
    const lookup = lookupOf(st);
    for (const [k, v] of keyValues(ins.args, false, lookup, c.esc)) {
      const val = c.o.buildArgs[k] ?? v ?? c.meta.get(k);
      if (k in c.o.buildArgs) c.used.add(k);
      if (val !== undefined) st.args.set(k, val);
    }
    return meta(st, c, `ARG ${ins.args}`, () => {});
  },
  env: (ins, st, c) => {
    const pairs = keyValues(ins.args, true, lookupOf(st), c.esc);
    return meta(st, c, `ENV ${pairs.map(([k, v]) => `${k}=${v ?? ""}`).join(" ")}`, (cfg) => {
      for (const [k, v] of pairs) {
        if (!k) throw invalid(`ENV names can not be blank`);
        // Replaced in place, as Docker does.
        const list = cfg.Env ?? [];
        const i = list.findIndex((e) => e.startsWith(`${k}=`));
        if (i >= 0) list[i] = `${k}=${v ?? ""}`;
        else list.push(`${k}=${v ?? ""}`);
        cfg.Env = list;
      }
    });
  },
  label: (ins, st, c) => {
    const pairs = keyValues(ins.args, true, lookupOf(st), c.esc);
    return meta(st, c, `LABEL ${pairs.map(([k, v]) => `${k}=${v ?? ""}`).join(" ")}`, (cfg) => {
      cfg.Labels = { ...(cfg.Labels ?? {}), ...Object.fromEntries(pairs.map(([k, v]) => [k, v ?? ""])) };
    });
  },
  maintainer: (ins, st, c) =>
    meta(st, c, `MAINTAINER ${ins.args}`, (_cfg, img) => {
      img.author = ins.args;
    }),
  expose: asChange,
  volume: asChange,
  stopsignal: asChange,
  user: asChange,
  onbuild: (ins, st, c) => {
    const trig = ins.args.trim().split(/\s+/, 1)[0]!.toUpperCase();
    if (["ONBUILD", "FROM", "MAINTAINER"].includes(trig))
      throw invalid(`${trig} isn't allowed as an ONBUILD trigger`);
    return meta(st, c, `ONBUILD ${ins.args}`, (cfg) => applyChange(cfg, `ONBUILD ${ins.args}`));
  },
  cmd: cmdOrEntrypoint,
  entrypoint: cmdOrEntrypoint,
  shell: (ins, st, c) => {
    const arr = jsonForm(ins.args);
    if (!arr) throw invalid(`SHELL requires the arguments to be in JSON form`);
    st.shell = arr;
    return meta(st, c, `SHELL [${arr.map((a) => JSON.stringify(a)).join(" ")}]`, (cfg) => {
      cfg.Shell = arr;
    });
  },
  healthcheck: (ins, st, c) =>
    meta(st, c, `HEALTHCHECK ${ins.args}`, (cfg) => {
      const t = ins.args.trim();
      if (/^none$/i.test(t)) cfg.Healthcheck = { Test: ["NONE"] };
      else {
        const cmd = t.replace(/^cmd\s+/i, "");
        const dur = (v?: string) => (v ? parseDuration(v) : 0);
        const arr = jsonForm(cmd);
        cfg.Healthcheck = {
          Test: arr ? ["CMD", ...arr] : ["CMD-SHELL", cmd],
          Interval: dur(ins.flags.interval),
          Timeout: dur(ins.flags.timeout),
          StartPeriod: dur(ins.flags["start-period"]),
          Retries: ins.flags.retries ? Number(ins.flags.retries) : 0,
        };
      }
    }),
  workdir: (ins, st, c) => {
    st.config.config ??= {};
    const dir = posix.resolve(st.config.config.WorkingDir || "/", word(ins, st, c));
    st.config.config.WorkingDir = dir;
    return commitFiles(
      st,
      `WORKDIR ${dir}`,
      c.cache.key(st.imageId, `WORKDIR ${dir}`),
      c,
      async (root) => {
        // Every component made inside the image's root: a link in the image never leads out.
        await mkdirInto(root, dir);
      },
      true,
    );
  },
  copy,
  add: copy,
  run,
};

/** Runs one instruction on a stage. Throws InvalidParameter for an unknown one. */
export function dispatch(ins: Instruction, st: StageState, c: StepContext): Promise<void> {
  if (ins.cmd === "from") throw invalid(`FROM inside a stage`);
  const h = dispatchers[ins.cmd];
  if (!h) throw invalid(`unknown instruction: ${ins.cmd.toUpperCase()}`);
  return h(ins, st, c);
}

/** Go duration strings (30s, 1m30s, 500ms) to nanoseconds. */
function parseDuration(s: string): number {
  const units: Record<string, number> = { ns: 1, us: 1e3, µs: 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };
  let total = 0;
  for (const m of s.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)) total += Number(m[1]) * units[m[2]!]!;
  return Math.round(total);
}
