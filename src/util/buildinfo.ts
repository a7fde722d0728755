/**
 * What the build baked in: the git commit and the build time. Written by the
 * Makefile at build time (scripts/buildinfo.sh -> dist/src/buildinfo.json, and
 * esbuild's `define` of __BERTH_BUILD__ in the bundled install), never read
 * from a .git at run time: an installed berth has none.
 */
import { readFileSync } from "node:fs";

/** The baked build facts; empty strings when the build did not record them (a bare `tsc`). */
export interface BuildInfo {
  /** Version of berth (package.json). */
  version: string;
  /** Abbreviated git commit, with "-dirty" when the tree had changes. */
  gitCommit: string;
  /** RFC 3339 time of the build. */
  buildTime: string;
}

declare const __BERTH_BUILD__: BuildInfo | undefined;

function load(): BuildInfo {
  if (typeof __BERTH_BUILD__ !== "undefined") return __BERTH_BUILD__;
  try {
    return JSON.parse(readFileSync(new URL("../buildinfo.json", import.meta.url), "utf8"));
  } catch {
    return { version: "0.1.0", gitCommit: "", buildTime: "" };
  }
}

/** Build facts of this berth. */
export const BUILD: BuildInfo = load();
