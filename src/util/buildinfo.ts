/**
 * What `GET /version` says about this build: the git commit and the build
 * time that `make build` writes to dist/build-info.json. A tree built some
 * other way (plain tsc) says "unknown" and the compiled file's mtime.
 */
import { readFileSync, statSync } from "node:fs";
import { resolve } from "node:path";

export interface BuildInfo {
  /** Short git commit of the source tree, or "unknown". */
  GitCommit: string;
  /** RFC 3339 time of the build. */
  BuildTime: string;
}

let cached: BuildInfo | undefined;

/** Reads the build info once (a small file at daemon start). */
export function buildInfo(): BuildInfo {
  if (cached) return cached;
  const file = resolve(import.meta.dirname, "../../build-info.json");
  try {
    const j = JSON.parse(readFileSync(file, "utf8")) as Partial<BuildInfo>;
    if (typeof j.GitCommit === "string" && typeof j.BuildTime === "string") {
      cached = { GitCommit: j.GitCommit, BuildTime: j.BuildTime };
      return cached;
    }
  } catch {
    // not built by make: fall back below
  }
  cached = { GitCommit: "unknown", BuildTime: statSync(import.meta.filename).mtime.toISOString() };
  return cached;
}
