/**
 * RUN: the command runs in a container of the current image, on the build's
 * network (the default bridge unless `--network`, or the step's own
 * `RUN --network`), with its --add-host entries, resource limits and
 * `RUN --mount`s; its changes become the step's layer. Cached by parent image,
 * command, build-arg environment and mounts.
 */
import { invalid } from "../util/errors.js";
import { commitRun, fromCache } from "./commit.js";
import { jsonForm } from "./dockerfile.js";
import { prepareMounts } from "./mounts.js";
import { processWord } from "./shell.js";
import type { Handler } from "./types.js";

const RUN_FLAGS = new Set(["mount", "network", "security"]);

export const run: Handler = async (ins, st, c) => {
  for (const [f] of ins.flagList) {
    if (!RUN_FLAGS.has(f)) throw invalid(`RUN --${f} is not supported by berth's builder`);
  }
  if (ins.flags.security && ins.flags.security !== "sandbox")
    throw invalid(`RUN --security=${ins.flags.security} is not supported by berth's builder`);
  const heredoc = ins.heredocs[0];
  const cmd = jsonForm(ins.args) ?? [...st.shell, heredoc ? heredoc.body : ins.args];
  const cfg = st.config.config ?? {};
  const argEnv = [...st.args].filter(([k]) => !(cfg.Env ?? []).some((e) => e.startsWith(`${k}=`)));
  for (const [k] of argEnv) if (k in c.o.buildArgs) c.used.add(k);
  const prefix = argEnv.length ? `|${argEnv.length} ${argEnv.map(([k, v]) => `${k}=${v}`).join(" ")} ` : "";
  const createdBy = `${prefix}${cmd.join(" ")}`;

  let network = c.o.networkMode;
  const stepNet = ins.flags.network;
  if (stepNet !== undefined) {
    if (!["default", "none", "host"].includes(stepNet))
      throw invalid(`RUN --network=${stepNet}: must be default, none or host`);
    if (stepNet !== "default") network = stepNet;
  }
  const env = new Map<string, string>(st.args);
  for (const e of cfg.Env ?? []) env.set(e.slice(0, e.indexOf("=")), e.slice(e.indexOf("=") + 1));
  const expand = (s: string) => processWord(s, (k) => env.get(k), c.esc);
  const specs = ins.flagList.filter(([f]) => f === "mount").map(([, v]) => v);
  const mounts = await prepareMounts(specs, cfg.WorkingDir ?? "", c, expand);
  try {
    const key = c.cache.key(st.imageId, createdBy, ...mounts.keyParts, stepNet ? `network=${stepNet}` : "");
    // A step with mounts depends on more than its command: never taken from --cache-from images.
    if (await fromCache(st, key, c, specs.length ? undefined : { createdBy, config: st.config })) return;
    st.imageId ??= await c.backend.createImage(st.config);
    const hostConfig: Record<string, unknown> = {
      ...c.o.resources,
      NetworkMode: network || "default",
      ExtraHosts: c.o.extraHosts,
      Mounts: mounts.mounts,
    };
    let id: string | undefined;
    let ok = false;
    try {
      const r = await c.backend.run(
        {
          image: st.imageId,
          cmd,
          env: [...(cfg.Env ?? []), ...argEnv.map(([k, v]) => `${k}=${v}`)],
          user: cfg.User ?? "",
          workingDir: cfg.WorkingDir ?? "",
          hostConfig,
        },
        c.say,
        c.o.signal,
      );
      id = r.id;
      if (r.exitCode !== 0)
        throw invalid(`The command '${cmd.join(" ")}' returned a non-zero code: ${r.exitCode}`);
      await commitRun(st, id, createdBy, key, mounts.scrub, c);
      ok = true;
    } catch (err) {
      id ??= (err as { containerId?: string }).containerId;
      throw err;
    } finally {
      // As Docker: --rm removes after success, --force-rm after failure too, and a cancelled
      // build always ("Build cancelled, killing and removing container", moby's containerManager.Run).
      if (id && (ok ? c.o.rm || c.o.forceRm : c.o.forceRm || c.o.signal?.aborted)) {
        await c.backend.removeContainer(id);
        c.say(`Removing intermediate container ${id.slice(0, 12)}\n`);
      }
    }
  } finally {
    await mounts.release();
  }
};
