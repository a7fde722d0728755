/** `registry serve`: runs berth's registry server in this process until SIGINT/SIGTERM. */
import type { Command } from "commander";
import { CliError } from "../client.js";
import type { Ctx } from "./common.js";

interface RegistryServer {
  url: string;
  port: number;
  close(): Promise<void> | void;
}

type Start = (o: {
  addr: string;
  root?: string;
  htpasswd?: string;
  tlsCert?: string;
  tlsKey?: string;
}) => Promise<RegistryServer>;

async function serve(o: Record<string, string | undefined>): Promise<void> {
  // Imported when used: the registry is its own module and the rest of the CLI must not need it.
  const path = "../../registry/server/index.js";
  let mod: { startRegistryServer?: Start };
  try {
    mod = (await import(path)) as { startRegistryServer?: Start };
  } catch (e) {
    throw new CliError(`registry server unavailable: ${(e as Error).message}`);
  }
  if (typeof mod.startRegistryServer !== "function")
    throw new CliError("registry server unavailable: no startRegistryServer export");
  if (!!o.tlsCert !== !!o.tlsKey) throw new CliError("--tls-cert and --tls-key go together");
  const srv = await mod.startRegistryServer({
    addr: o.addr ?? "127.0.0.1:5000",
    root: o.root,
    htpasswd: o.htpasswd,
    tlsCert: o.tlsCert,
    tlsKey: o.tlsKey,
  });
  process.stdout.write(`registry listening on ${srv.url}\n`);
  await new Promise<void>((resolve) => {
    const stop = async () => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      await srv.close();
      resolve();
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  });
}

export function register(program: Command, _ctx: Ctx): void {
  program
    .command("registry")
    .description("Run a registry")
    .command("serve")
    .description("Serve an OCI distribution registry from a directory")
    .option("--addr <string>", "Address to listen on", "127.0.0.1:5000")
    .option("--root <string>", "Storage directory")
    .option("--htpasswd <string>", "htpasswd file (bcrypt) for basic auth")
    .option("--tls-cert <string>", "TLS certificate file")
    .option("--tls-key <string>", "TLS key file")
    .action((o) => serve(o));
}
