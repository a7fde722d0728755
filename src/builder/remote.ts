/**
 * What the builder fetches: `ADD <http(s) URL>` sources (checked against
 * `--checksum`), `ADD <git URL>` repositories, and remote build contexts
 * (`docker build <URL>`: a tarball, a plain Dockerfile, or a git repository).
 */
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { createWriteStream } from "node:fs";
import { mkdtemp, rm, utimes } from "node:fs/promises";
import { join, posix } from "node:path";
import { Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { canonicalInRoot } from "../layer/rootpath.js";
import { invalid } from "../util/errors.js";

export const isURL = (s: string) => /^https?:\/\//i.test(s);

/** Docker's rules: a git URL ends in .git (before #ref), or uses git@ / git:// . */
export const isGitURL = (s: string) =>
  /^git@|^git:\/\//.test(s) || (/^https?:\/\//.test(s) && /\.git(#.*)?$/.test(s));

/**
 * Downloads `url` into a fresh directory under `tmpDir`; verifies `checksum`
 * (`sha256:<hex>`) when given. Returns the file, its name (the URL's last
 * segment), its sha256, and the directory to remove.
 */
export async function download(
  url: string,
  tmpDir: string,
  checksum?: string,
  signal?: AbortSignal,
): Promise<{ file: string; name: string; digest: string; dir: string }> {
  if (checksum && !/^sha256:[0-9a-f]{64}$/.test(checksum))
    throw invalid(`ADD --checksum=${checksum}: only sha256:<64 hex digits> is supported`);
  const res = await fetch(url, { signal }).catch((err: Error) => {
    throw invalid(`failed to fetch ${url}: ${err.message}`);
  });
  if (!res.ok || !res.body) throw invalid(`failed to GET ${url} with status ${res.status} ${res.statusText}`);
  const dir = await mkdtemp(join(tmpDir, "add-url-"));
  const name = posix.basename(new URL(url).pathname) || "index.html";
  const file = join(dir, name);
  const h = createHash("sha256");
  try {
    await pipeline(
      Readable.fromWeb(res.body as import("node:stream/web").ReadableStream),
      new Transform({
        transform(chunk: Buffer, _e, cb) {
          h.update(chunk);
          cb(null, chunk);
        },
      }),
      createWriteStream(file, { mode: 0o600 }),
    );
    const digest = `sha256:${h.digest("hex")}`;
    if (checksum && digest !== checksum)
      throw invalid(`digest mismatch ${digest}: ${checksum} expected for ${url}`);
    const lm = res.headers.get("last-modified");
    if (lm && !Number.isNaN(Date.parse(lm))) await utimes(file, new Date(), new Date(lm));
    return { file, name, digest, dir };
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}

/** Runs git (no shell); rejects with its stderr. */
function git(args: string[], cwd?: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const p = spawn("git", args, {
      cwd,
      stdio: ["ignore", "ignore", "pipe"],
      env: { ...process.env, GIT_TERMINAL_PROMPT: "0" },
    });
    let err = "";
    p.stderr.on("data", (d: Buffer) => {
      err += d.toString();
    });
    p.on("error", reject);
    p.on("close", (code) =>
      code === 0 ? resolve() : reject(invalid(`git ${args[0]} failed: ${err.trim()}`)),
    );
  });
}

/**
 * Clones `url` (`repo.git#ref:subdir`) into a fresh directory: the checkout
 * (or its subdir) without .git unless `keepGitDir`.
 */
export async function cloneGit(
  url: string,
  tmpDir: string,
  keepGitDir = false,
): Promise<{ path: string; dir: string }> {
  const [repo, frag = ""] = url.split("#", 2) as [string, string?];
  const [ref, subdir = ""] = frag.split(":", 2) as [string, string?];
  const dir = await mkdtemp(join(tmpDir, "git-"));
  const path = join(dir, "src");
  try {
    await git([
      "clone",
      "--quiet",
      "--recurse-submodules",
      ...(ref ? [] : ["--depth", "1"]),
      "--",
      repo,
      path,
    ]);
    if (ref) await git(["checkout", "--quiet", ref], path);
    if (!keepGitDir) await rm(join(path, ".git"), { recursive: true, force: true });
    // The subdir is resolved inside the checkout: a repository's link never makes a host
    // directory the context (the checkout is berth's own; nobody writes it meanwhile).
    let sub: string;
    try {
      sub = canonicalInRoot(path, subdir);
    } catch {
      throw invalid(`git context: subdirectory ${subdir} not found in ${repo}`);
    }
    return { path: sub, dir };
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}
