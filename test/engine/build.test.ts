/**
 * Dockerfile builds with the real docker CLI (classic builder): heredocs,
 * ARG scoping, .dockerignore exceptions, COPY --chown/--chmod, unused
 * stages not built, a failing RUN tagging nothing, context escapes refused,
 * ONBUILD triggers, and a realistic Debian build with its cache timings.
 */
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { busyboxTar, cleanupDaemon, startDaemon, type TestDaemon } from "../helpers/daemon.js";
import { debianTar } from "../helpers/debian.js";

describe("docker build", () => {
  let d: TestDaemon;
  let work: string;

  before(async () => {
    d = await startDaemon();
    work = mkdtempSync("/tmp/berth-build-");
    d.ok(["import", "--change", 'CMD ["sh"]', busyboxTar(work), "bb"]);
  });
  after(async () => {
    await cleanupDaemon(d);
    rmSync(work, { recursive: true, force: true });
  });

  const ctx = (name: string, files: Record<string, string>) => {
    const dir = join(work, name);
    mkdirSync(dir, { recursive: true });
    for (const [f, body] of Object.entries(files)) {
      mkdirSync(join(dir, f, ".."), { recursive: true });
      writeFileSync(join(dir, f), body);
    }
    return dir;
  };
  const build = (dir: string, ...args: string[]) => d.docker(["build", ...args, dir], { timeout: 120_000 });

  it("runs heredocs in RUN and writes them with COPY", () => {
    const dir = ctx("heredoc", {
      Dockerfile:
        "FROM bb\nRUN <<EOF\necho one > /one\necho two > /two\nEOF\nCOPY <<EOT /greeting\nhello heredoc\nEOT\n",
    });
    const r = build(dir, "-t", "hd");
    assert.equal(r.code, 0, r.err + r.out);
    assert.equal(d.ok(["run", "--rm", "hd", "cat", "/one", "/two", "/greeting"]), "one\ntwo\nhello heredoc");
  });

  it("takes the Dockerfile from stdin or outside the context; -q prints only the image ID", () => {
    const dir = ctx("stdin", { "data.txt": "from the context\n" });
    const df = "FROM bb\nCOPY data.txt /data.txt\n";
    const viaStdin = d.docker(["build", "-q", "-t", "stdin", "-f", "-", dir], { input: df });
    assert.equal(viaStdin.code, 0, viaStdin.err);
    assert.match(viaStdin.out, /^sha256:[0-9a-f]{64}\n$/);
    assert.equal(d.ok(["run", "--rm", "stdin", "cat", "/data.txt"]), "from the context");
    writeFileSync(join(work, "Outside.Dockerfile"), df);
    const outside = build(dir, "-t", "outside", "-f", join(work, "Outside.Dockerfile"));
    assert.equal(outside.code, 0, outside.err);
    assert.equal(d.ok(["image", "inspect", "-f", "{{.Id}}", "outside"]), viaStdin.out.trim());
  });

  it("scopes ARGs: a meta ARG reaches FROM, and a stage only if re-declared", () => {
    const dir = ctx("args", {
      Dockerfile:
        'ARG BASE=bb\nARG V=meta\nFROM ${BASE}\nRUN echo "[$V]" > /before\nARG V\nRUN echo "[$V]" > /after\nARG LOCAL=l1\nRUN echo $LOCAL > /local\n',
    });
    assert.equal(build(dir, "-t", "args", "--build-arg", "LOCAL=l2").code, 0);
    assert.equal(d.ok(["run", "--rm", "args", "cat", "/before", "/after", "/local"]), "[]\n[meta]\nl2");
    assert.equal(d.ok(["run", "--rm", "args", "sh", "-c", "echo ${LOCAL-unset}"]), "unset");
  });

  it("applies .dockerignore with exceptions", () => {
    const dir = ctx("ignore", {
      Dockerfile: "FROM bb\nCOPY . /ctx/\n",
      ".dockerignore": "**/*.log\n!keep.log\nsecret\n",
      "a.log": "x",
      "sub/b.log": "x",
      "keep.log": "k",
      secret: "s",
      "ok.txt": "ok",
    });
    assert.equal(build(dir, "-t", "ign").code, 0);
    const listed = d.ok(["run", "--rm", "ign", "find", "/ctx", "-type", "f"]).split("\n").sort();
    assert.deepEqual(listed, ["/ctx/.dockerignore", "/ctx/Dockerfile", "/ctx/keep.log", "/ctx/ok.txt"]);
  });

  it("honours COPY --chown and --chmod", () => {
    const dir = ctx("chown", { Dockerfile: "FROM bb\nCOPY --chown=app:app --chmod=640 f /f\n", f: "data" });
    assert.equal(build(dir, "-t", "chown").code, 0);
    assert.equal(d.ok(["run", "--rm", "chown", "stat", "-c", "%U %G %a", "/f"]), "app app 640");
  });

  it("builds only the stages the target needs", () => {
    const dir = ctx("stages", {
      Dockerfile:
        'FROM bb AS broken\nRUN exit 3\nFROM bb AS good\nRUN echo good > /g\nFROM good\nCMD ["cat", "/g"]\n',
    });
    const r = build(dir, "-t", "stages");
    assert.equal(r.code, 0, r.err + r.out);
    assert.equal(d.ok(["run", "--rm", "stages"]), "good");
  });

  it("fails on a non-zero RUN and tags nothing", () => {
    const dir = ctx("fail", { Dockerfile: "FROM bb\nRUN echo before\nRUN exit 7\n" });
    const r = build(dir, "-t", "failed:1");
    assert.notEqual(r.code, 0);
    assert.match(r.out + r.err, /returned a non-zero code: 7/);
    assert.notEqual(d.docker(["image", "inspect", "failed:1"]).code, 0);
  });

  it("refuses sources outside the context, follows a source link inside it, copies inner links as links", () => {
    const dir = ctx("escape", { Dockerfile: "FROM bb\nCOPY ../outside /x\n" });
    assert.notEqual(build(dir, "-t", "esc").code, 0);
    // A source link is followed inside the context (Docker's FollowSymlinkInScope): the
    // host's /etc/shadow is "not found"; links below a copied directory stay links.
    const dir2 = ctx("links", { Dockerfile: "FROM bb\nCOPY link /link\nCOPY tree /tree\n", "tree/f": "f" });
    symlinkSync("/etc/shadow", join(dir2, "link"));
    assert.match(build(dir2, "-t", "links").err, /not found|does not exist/);
    writeFileSync(join(dir2, "Dockerfile"), "FROM bb\nCOPY tree /tree\n");
    symlinkSync("/etc/shadow", join(dir2, "tree", "link"));
    assert.equal(build(dir2, "-t", "links").code, 0);
    assert.equal(d.ok(["run", "--rm", "links", "readlink", "/tree/link"]), "/etc/shadow");
  });

  it("runs ONBUILD triggers in the child build", () => {
    const parent = ctx("onbuild-parent", { Dockerfile: "FROM bb\nONBUILD RUN echo triggered > /onbuild\n" });
    assert.equal(build(parent, "-t", "ob-parent").code, 0);
    assert.notEqual(d.docker(["run", "--rm", "ob-parent", "test", "-e", "/onbuild"]).code, 0);
    const child = ctx("onbuild-child", { Dockerfile: "FROM ob-parent\n" });
    const rc = build(child, "-t", "ob-child");
    assert.equal(rc.code, 0, rc.err + rc.out);
    assert.equal(d.ok(["run", "--rm", "ob-child", "cat", "/onbuild"]), "triggered");
  });

  it("builds a realistic Debian image, reuses the cache, and rebuilds from a changed COPY", () => {
    const tar = debianTar(work);
    d.ok(["import", "--change", 'CMD ["bash"]', tar, "debian:bookworm"]);
    const files: Record<string, string> = {
      Dockerfile: [
        "FROM debian:bookworm",
        "ARG APP_VERSION=1.0",
        "LABEL org.example.version=$APP_VERSION",
        "ENV APP_HOME=/srv/app",
        "WORKDIR $APP_HOME",
        "COPY data/ ./data/",
        "RUN for i in $(seq 1 200); do echo $i > gen-$i.txt; done",
        "RUN useradd --create-home appuser",
        "COPY config.txt ./",
        "EXPOSE 8080",
        "USER appuser",
        'CMD ["bash", "-c", "ls data | wc -l; ls gen-* | wc -l; cat config.txt; whoami"]',
      ].join("\n"),
      "config.txt": "v1\n",
    };
    for (let i = 0; i < 50; i++) files[`data/f${i}.txt`] = `file ${i}`;
    const dir = ctx("debian", files);
    const timed = (...args: string[]) => {
      const t0 = Date.now();
      const r = build(dir, "-t", "app:latest", ...args);
      assert.equal(r.code, 0, r.err + r.out);
      return { ms: Date.now() - t0, cached: (r.out.match(/Using cache/g) ?? []).length };
    };
    const first = timed();
    assert.equal(d.ok(["run", "--rm", "app"]), "50\n200\nv1\nappuser");
    const again = timed();
    assert.equal(again.cached, 11, "every step after FROM reused");
    writeFileSync(join(dir, "config.txt"), "v2\n");
    const changed = timed();
    assert.equal(changed.cached, 7, "steps before COPY config.txt reused, the rest rebuilt");
    assert.equal(d.ok(["run", "--rm", "app"]).split("\n")[2], "v2");
    console.log(
      `# debian build: first ${first.ms} ms, no change ${again.ms} ms, one file changed ${changed.ms} ms`,
    );
  });
});
