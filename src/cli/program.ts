/** The berth command tree (commander), apart from main.ts so tools can build it without running the CLI. */
import { Command } from "commander";
import { BUILD } from "../util/buildinfo.js";
import { CliError } from "./client.js";
import { registerBuild } from "./commands/build.js";
import { makeCtx } from "./commands/common.js";
import { register as registerContainers } from "./commands/containers.js";
import { register as registerContext } from "./commands/context.js";
import { register as registerFilesystem } from "./commands/filesystem.js";
import { register as registerImages } from "./commands/images.js";
import { register as registerInspect } from "./commands/inspect.js";
import { register as registerIo } from "./commands/io.js";
import { register as registerMonitor } from "./commands/monitor.js";
import { register as registerNetworks } from "./commands/networks.js";
import { register as registerRegistry } from "./commands/registry.js";
import { register as registerRun } from "./commands/run.js";
import { CLI_VERSION, register as registerSystem } from "./commands/system.js";
import { register as registerTransfer } from "./commands/transfer.js";
import { register as registerVolumes } from "./commands/volumes.js";
import { completionScript } from "./completion.js";
import { docker404 } from "./unknown.js";

/** Builds the command tree (exported for tests). */
export function buildProgram(): Command {
  const program = new Command("berth");
  program
    .usage("[OPTIONS] COMMAND")
    .description("A docker-compatible client for berthd")
    .enablePositionalOptions()
    .option("-H, --host <string>", "Daemon socket to connect to")
    .option("--tls", "Use TLS; implied by --tlsverify")
    .option("--tlsverify", "Use TLS and verify the remote")
    .option("--tlscacert <string>", "Trust certs signed only by this CA")
    .option("--tlscert <string>", "Path to TLS certificate file")
    .option("--tlskey <string>", "Path to TLS key file")
    .option("-D, --debug", "Enable debug mode")
    .option("-l, --log-level <string>", "Set the logging level")
    .option("--config <string>", "Location of client config files")
    .option(
      "-c, --context <string>",
      'Name of the context to use to connect to the daemon (overrides DOCKER_HOST env var and default context set with "docker context use")',
    )
    .option("-v, --version", "Print version information and quit")
    .action(() => {
      // As `docker --version`: "Docker version 28.2.2, build e6534b4".
      if (program.opts().version)
        process.stdout.write(
          `berth version ${CLI_VERSION}${BUILD.gitCommit ? `, build ${BUILD.gitCommit}` : ""}\n`,
        );
      else program.help();
    });
  program.hook("preAction", () => {
    const cfg = program.opts().config;
    if (cfg) process.env.DOCKER_CONFIG = cfg;
  });
  const ctx = makeCtx(program);
  registerSystem(program, ctx);
  registerImages(program, ctx);
  registerTransfer(program, ctx);
  registerBuild(program, ctx);
  registerInspect(program, ctx);
  registerRun(program, ctx);
  registerContainers(program, ctx);
  registerIo(program, ctx);
  registerFilesystem(program, ctx);
  registerMonitor(program, ctx);
  registerVolumes(program, ctx);
  registerNetworks(program, ctx);
  registerRegistry(program, ctx);
  registerContext(program, ctx);
  program
    .command("completion")
    .description("Generate the autocompletion script for the specified shell")
    .argument("<shell>", "bash, zsh or fish")
    .action((shell: string) => {
      try {
        process.stdout.write(completionScript(shell));
      } catch (e) {
        throw new CliError((e as Error).message, 1);
      }
    });
  const apply = (c: Command) => {
    c.exitOverride();
    c.configureOutput({ outputError: (s, write) => write(s) });
    if (c.commands.length) docker404(c);
    for (const sub of c.commands) apply(sub);
  };
  apply(program);
  return program;
}
