/** Wires the engine and the API routes together (kept apart from main.ts so tests can start it in-process). */
import type { Logger } from "pino";
import { buildRouter } from "../api/server.js";
import type { DaemonConfig } from "../engine/config.js";
import { Engine } from "../engine/engine.js";

export async function startEngine(cfg: DaemonConfig, log: Logger) {
  const engine = new Engine(cfg, log);
  await engine.init();
  const router = buildRouter(engine);
  return { engine, router, extra: { shutdown: async () => {} } };
}
