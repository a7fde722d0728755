/**
 * COPY/ADD through symlinks never reach host files (issue 13): a sentinel
 * file is planted outside the build context, the context and the base image
 * hold absolute, relative and chained links to its directory, `..` through a
 * link and globs through a link, RUN --mount bind sources and --from sources
 * through an image's link; every build either fails with "not found"
 * or produces an image whose saved tar lacks the sentinel, and nothing is
 * written into the sentinel's directory.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { busyboxTar, cleanupDaemon, startDaemon, type TestDaemon } from "../helpers/daemon.js";

describe("build context symlinks stay inside the context", () => {
  let d: TestDaemon;
  let work: string;
  let hostDir: string;
  const sentinel = `HOST-SENTINEL-${randomBytes(8).toString("hex")}`;

  before(async () => {
    d = await startDaemon();
    work = mkdtempSync("/tmp/berth-bsl-");
    hostDir = join(work, "host");
    mkdirSync(hostDir);
    writeFileSync(join(hostDir, "secret.txt"), `${sentinel}\n`);
    d.ok(["import", "--change", 'CMD ["sh"]', busyboxTar(work), "bb"]);
  });
  after(async () => {
    await cleanupDaemon(d);
    rmSync(work, { recursive: true, force: true });
  });

  let n = 0;
  /** A context with the links every case uses, plus a Dockerfile. */
  const ctx = (dockerfile: string) => {
    const dir = join(work, `ctx${n++}`);
    mkdirSync(join(dir, "sub", "deeper"), { recursive: true });
    writeFileSync(join(dir, "Dockerfile"), dockerfile);
    writeFileSync(join(dir, "ok.txt"), "inside\n");
    symlinkSync(hostDir, join(dir, "abs")); // absolute link to the host dir
    // relative link climbing out from wherever the daemon unpacks the context
    symlinkSync(`${"../".repeat(24)}${hostDir.slice(1)}`, join(dir, "rel"));
    symlinkSync("c2", join(dir, "c1")); // chain: c1 -> c2 -> host dir
    symlinkSync(hostDir, join(dir, "c2"));
    symlinkSync("sub/deeper", join(dir, "down")); // `down/../..` climbs through a link
    symlinkSync(join(hostDir, "secret.txt"), join(dir, "file-link"));
    return dir;
  };
  /** Builds; returns whether it succeeded, and asserts the image never holds the sentinel. */
  const buildClean = (dockerfile: string): { code: number; err: string } => {
    const tag = `bsl${n}`;
    const r = d.docker(["build", "-t", tag, ctx(dockerfile)], { timeout: 120_000 });
    if (r.code === 0) {
      const saved = d.docker(["save", tag]);
      assert.equal(saved.code, 0, saved.err);
      assert.ok(!saved.out.includes(sentinel), `image built from\n${dockerfile}\nholds host content`);
      d.ok(["rmi", tag]);
    } else {
      assert.match(r.err + r.out, /not found|does not exist|no source files|outside the build context/);
    }
    assert.deepEqual(readdirSync(hostDir), ["secret.txt"], "the host directory was written");
    assert.equal(readFileSync(join(hostDir, "secret.txt"), "utf8"), `${sentinel}\n`);
    return r;
  };

  for (const instr of ["COPY", "ADD"]) {
    for (const src of [
      "abs/secret.txt",
      "rel/secret.txt",
      "c1/secret.txt",
      "down/../../host/secret.txt",
      "down/../../../host/secret.txt",
      "abs/*.txt",
      "a*/secret.txt",
      "*/secret.txt",
      "rel/*",
      "file-link",
      "abs",
      "abs/",
    ]) {
      it(`${instr} ${src} never copies the host file`, () => {
        buildClean(`FROM bb\n${instr} ${src} /x/\n`);
      });
    }
    it(`${instr} . copies links as links, not their targets`, () => {
      const r = buildClean(`FROM bb\n${instr} . /ctx/\n`);
      assert.equal(r.code, 0, r.err);
    });
  }

  for (const src of ["abs", "rel", "c1", "down/../../host"]) {
    it(`RUN --mount=type=bind,source=${src} never mounts the host dir`, () => {
      buildClean(`FROM bb\nRUN --mount=type=bind,source=${src},target=/m cat /m/secret.txt > /got\n`);
    });
  }

  it("COPY --from and RUN --mount from= resolve inside the other image's root", () => {
    const base = ctx(`FROM bb\nRUN ln -s ${hostDir} /app\n`);
    assert.equal(d.docker(["build", "-t", "linkedfrom", base], { timeout: 120_000 }).code, 0);
    for (const df of [
      "FROM bb\nCOPY --from=linkedfrom /app/secret.txt /x/\n",
      "FROM bb\nCOPY --from=linkedfrom /app /x/\n",
      "FROM bb\nRUN --mount=type=bind,from=linkedfrom,source=/app,target=/m cat /m/secret.txt > /got\n",
    ]) {
      const r = buildClean(df);
      assert.notEqual(r.code, 0, `${df} built`);
    }
  });

  it("an in-context link still works (resolved inside the context)", () => {
    const dir = ctx("FROM bb\nCOPY down/../ok.txt inlink/ /got/\n");
    symlinkSync("/sub", join(dir, "inlink")); // absolute: means <context>/sub
    writeFileSync(join(dir, "sub", "in-sub.txt"), "sub file\n");
    const r = d.docker(["build", "-t", "inlink", dir], { timeout: 120_000 });
    assert.equal(r.code, 0, r.err + r.out);
    assert.equal(
      d.ok(["run", "--rm", "inlink", "cat", "/got/ok.txt", "/got/in-sub.txt"]),
      "inside\nsub file",
    );
  });

  it("destinations, WORKDIR and heredocs resolve inside the image root", () => {
    // The base image links /app and /etc-link to the host dir's absolute path.
    const base = ctx(`FROM bb\nRUN ln -s ${hostDir} /app && ln -s ${hostDir}/secret.txt /dest-file\n`);
    assert.equal(d.docker(["build", "-t", "linked", base], { timeout: 120_000 }).code, 0);
    const r = buildClean(
      "FROM linked\nCOPY ok.txt /app/\nCOPY ok.txt /app/new/deep.txt\nCOPY ok.txt /dest-file\nWORKDIR /app/wd\nCOPY <<EOF /app/heredoc.txt\nhi\nEOF\nADD ok.txt /app/added\n",
    );
    assert.equal(r.code, 0, r.err);
  });
});
