/**
 * Dockerfile features through the classic endpoint with the real docker CLI
 * (and `berth build --secret`): the escape directive in word processing,
 * the default PATH, RUN --mount (cache, bind, tmpfs, secret), COPY
 * --parents/--exclude/--link, ADD of a URL with --checksum and of a git
 * repository, remote contexts, `# syntax=`, builder prune, and independent
 * stages built in parallel.
 */
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: Dockerfile variables, not templates
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join, normalize } from "node:path";
import { after, before, describe, it } from "node:test";
import { busyboxTar, cleanupDaemon, startDaemon, type TestDaemon } from "../helpers/daemon.js";
import { dockerAsync, runAsync } from "../helpers/docker-async.js";

const BERTH = join(process.cwd(), "dist/src/cli/main.js");

describe("docker build: Dockerfile features", () => {
  let d: TestDaemon;
  let work: string;
  let server: Server;
  let base = "";
  const files = new Map<string, Buffer>();

  before(async () => {
    d = await startDaemon();
    work = mkdtempSync("/tmp/berth-build-syntax-");
    d.ok(["import", "--change", 'CMD ["sh"]', busyboxTar(work), "bb"]);
    // Serves `files`, and anything under work/www (a git repository's dumb-HTTP files).
    server = createServer((req, res) => {
      const path = normalize(decodeURIComponent(req.url ?? "/").split("?")[0]!);
      const f = files.get(path);
      if (f) return res.end(f);
      try {
        const full = join(work, "www", path);
        if (statSync(full).isFile()) return res.end(readFileSync(full));
      } catch {
        // not found
      }
      res.statusCode = 404;
      res.end("not found");
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    server.close();
    await cleanupDaemon(d);
    rmSync(work, { recursive: true, force: true });
  });

  const ctx = (name: string, content: Record<string, string>) => {
    const dir = join(work, name);
    mkdirSync(dir, { recursive: true });
    for (const [f, body] of Object.entries(content)) {
      mkdirSync(join(dir, f, ".."), { recursive: true });
      writeFileSync(join(dir, f), body);
    }
    return dir;
  };
  const build = (dir: string, ...args: string[]) => dockerAsync(d, ["build", ...args, dir]);
  const envOf = (img: string) =>
    JSON.parse(d.ok(["image", "inspect", "-f", "{{json .Config.Env}}", img])) as string[];

  it("processes words with the escape directive in every instruction", async () => {
    const win = ctx("escape", {
      Dockerfile:
        '# escape=`\nFROM bb\nENV WIN=C:\\path OTHER="a b" `\n  SAME=${WIN}\nENV NEXT=${WIN}\\x\nLABEL dir=C:\\dir\nWORKDIR C:\\w\nVOLUME ["/data", "/v$OTHER"]\n',
    });
    const r = await build(win, "-t", "esc-tick");
    assert.equal(r.code, 0, r.err + r.out);
    const env = envOf("esc-tick");
    assert.ok(env.includes("WIN=C:\\path"), env.join(" "));
    assert.ok(env.includes("OTHER=a b"));
    assert.ok(env.includes("NEXT=C:\\path\\x"));
    // A variable set in the same ENV is not seen by its neighbours, as in Docker.
    assert.ok(env.includes("SAME="));
    assert.equal(d.ok(["image", "inspect", "-f", '{{index .Config.Labels "dir"}}', "esc-tick"]), "C:\\dir");
    assert.equal(d.ok(["image", "inspect", "-f", "{{.Config.WorkingDir}}", "esc-tick"]), "/C:\\w");
    assert.equal(
      d.ok(["image", "inspect", "-f", "{{json .Config.Volumes}}", "esc-tick"]),
      '{"/data":{},"/va b":{}}',
    );
    const bs = ctx("backslash", {
      Dockerfile:
        'FROM bb\nENV WIN=C:\\path Q="say \\"hi\\"" S=\'$WIN\' D="$WIN" E=${NOPE:-dflt} P=${WIN#C:} ESC=\\$WIN\n',
    });
    const r2 = await build(bs, "-t", "esc-bs");
    assert.equal(r2.code, 0, r2.err + r2.out);
    const env2 = envOf("esc-bs");
    for (const want of ["WIN=C:path", 'Q=say "hi"', "S=$WIN", "D=", "E=dflt", "P=", "ESC=$WIN"])
      assert.ok(env2.includes(want), `${want} in ${env2.join(" | ")}`);
  });

  it("writes Docker's default PATH when the base image has none, keeps the base's own", async () => {
    const dir = ctx("path", { Dockerfile: "FROM bb\nLABEL a=b\n" });
    assert.equal((await build(dir, "-t", "with-path")).code, 0);
    assert.ok(
      envOf("with-path").includes("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"),
    );
    d.ok(["import", "--change", "ENV PATH=/custom:/bin", busyboxTar(join(work, "p2")), "bb-path"]);
    const own = ctx("path2", { Dockerfile: "FROM bb-path\nLABEL a=b\n" });
    assert.equal((await build(own, "-t", "own-path")).code, 0);
    assert.deepEqual(
      envOf("own-path").filter((e) => e.startsWith("PATH=")),
      ["PATH=/custom:/bin"],
    );
  });

  it("RUN --mount=type=cache keeps files across builds of a changed step; builder prune empties it", async () => {
    const dir = ctx("cache", {
      Dockerfile: [
        "FROM bb",
        "ARG V",
        "RUN --mount=type=cache,target=/root/.cache,sharing=locked ls /root/.cache | wc -l > /count && for i in 1 2 3; do echo $V > /root/.cache/$V-$i; done",
        "",
      ].join("\n"),
    });
    assert.equal((await build(dir, "--build-arg", "V=a", "-t", "cm")).code, 0);
    assert.equal(d.ok(["run", "--rm", "cm", "cat", "/count"]), "0");
    // The mount point leaves nothing in the image.
    assert.equal(d.ok(["run", "--rm", "cm", "sh", "-c", "ls -A /root | wc -l"]), "0");
    const r = await build(dir, "--build-arg", "V=b", "-t", "cm");
    assert.equal(r.code, 0, r.err);
    assert.equal(d.ok(["run", "--rm", "cm", "cat", "/count"]), "3");
    // A dangling image of the user's survives builder prune.
    const dangling = ctx("dangling", { Dockerfile: "FROM bb\nLABEL dangling=1\n" });
    const id = (await build(dangling, "-q")).out.trim();
    const pr = d.ok(["builder", "prune", "-f"]);
    assert.match(pr, /Deleted build cache objects:/);
    assert.match(pr, /Total reclaimed space/);
    assert.equal(d.docker(["image", "inspect", id]).code, 0);
    const again = await build(dir, "--build-arg", "V=c", "-t", "cm");
    assert.equal(again.code, 0);
    assert.equal(d.ok(["run", "--rm", "cm", "cat", "/count"]), "0");
    const bad = ctx("cache-bad", {
      Dockerfile: "FROM bb\nRUN --mount=type=cache,target=/c,sharing=weird true\n",
    });
    const rb = await build(bad);
    assert.notEqual(rb.code, 0);
    assert.match(rb.err, /invalid sharing mode weird/);
    const ssh = ctx("ssh", { Dockerfile: "FROM bb\nRUN --mount=type=ssh true\n" });
    assert.match((await build(ssh)).err, /RUN --mount=type=ssh is not supported/);
  });

  it("cache mount sharing: locked serialises parallel stages, private gives each its own, shared lets them meet", async () => {
    // Each stage leaves its mark in the cache and waits for the other's: up to 30 s under
    // `shared`, so a loaded machine that starts one stage late still lets them meet. Under
    // `private` and `locked` a stage waits 2 s and removes its mark when done: with their own
    // directories, or one at a time, they never see each other.
    const probe = (mode: string, me: string, other: string) =>
      `RUN --mount=type=cache,id=sharing-${mode},target=/c,sharing=${mode} touch /c/${me}; i=0; while [ ! -e /c/${other} ] && [ $i -lt ${mode === "shared" ? 300 : 20} ]; do sleep 0.1; i=$((i+1)); done; if [ -e /c/${other} ]; then echo met > /r; else echo alone > /r; fi${mode === "shared" ? "" : `; rm /c/${me}`}`;
    const results: Record<string, string> = {};
    for (const mode of ["locked", "private", "shared"]) {
      const dir = ctx(`sharing-${mode}`, {
        Dockerfile: [
          "FROM bb AS one",
          probe(mode, "one", "two"),
          "FROM bb AS two",
          probe(mode, "two", "one"),
          "FROM bb",
          "COPY --from=one /r /one",
          "COPY --from=two /r /two",
          "",
        ].join("\n"),
      });
      const r = await build(dir, "--no-cache", "-t", `sharing-${mode}`);
      assert.equal(r.code, 0, r.err + r.out);
      results[mode] = d.ok(["run", "--rm", `sharing-${mode}`, "cat", "/one", "/two"]);
    }
    assert.equal(results.locked, "alone\nalone");
    assert.equal(results.private, "alone\nalone");
    assert.equal(results.shared, "met\nmet");
  });

  it("RUN --mount=type=bind (context, stage, rw) and type=tmpfs", async () => {
    const dir = ctx("bind", {
      Dockerfile: [
        "FROM bb AS data",
        "RUN mkdir /d && echo from-stage > /d/f",
        "FROM bb",
        "RUN --mount=type=bind,source=sub,target=/mnt cat /mnt/f > /ctx",
        "RUN --mount=type=bind,from=data,source=/d,target=/s cat /s/f > /stage",
        "RUN --mount=type=bind,source=sub,target=/mnt,rw echo changed > /mnt/f && cat /mnt/f > /rw",
        "RUN --mount=type=bind,source=sub,target=/mnt (echo x > /mnt/new) 2>/dev/null; echo $? > /ro",
        "RUN --mount=type=tmpfs,target=/t grep ' /t ' /proc/mounts | cut -d' ' -f3 > /tmpfs && touch /t/x",
        "",
      ].join("\n"),
      "sub/f": "from-context\n",
    });
    const r = await build(dir, "-t", "bind");
    assert.equal(r.code, 0, r.err + r.out);
    assert.equal(
      d.ok(["run", "--rm", "bind", "cat", "/ctx", "/stage", "/rw", "/tmpfs"]),
      "from-context\nfrom-stage\nchanged\ntmpfs",
    );
    assert.notEqual(d.ok(["run", "--rm", "bind", "cat", "/ro"]), "0");
    assert.equal(
      d.ok(["run", "--rm", "bind", "sh", "-c", "ls /mnt /s /t 2>&1 | grep -c 'No such file'"]),
      "3",
    );
    assert.equal(readFileSync(join(dir, "sub/f"), "utf8"), "from-context\n");
  });

  it("berth build --secret: the secret reaches RUN and never history, save or a layer", async () => {
    const secret = `s3cr3t-${process.pid}-value`;
    writeFileSync(join(work, "secret.txt"), secret);
    const sha = spawnSync("sha256sum", { input: secret, encoding: "utf8" }).stdout.slice(0, 64);
    const dir = ctx("secret", {
      Dockerfile: [
        "FROM bb",
        `RUN --mount=type=secret,id=tok test "$(sha256sum < /run/secrets/tok | cut -c1-64)" = "${sha}" && echo ok > /ok`,
        "RUN --mount=type=secret,id=tok,target=/etc/tok.txt,required=true wc -c < /etc/tok.txt > /len",
        "",
      ].join("\n"),
    });
    const r = spawnSync(
      process.execPath,
      [BERTH, "build", "--secret", `id=tok,src=${join(work, "secret.txt")}`, "-t", "sec", dir],
      {
        env: { ...process.env, DOCKER_HOST: d.host },
        encoding: "utf8",
        timeout: 120_000,
      },
    );
    assert.equal(r.status, 0, r.stderr + r.stdout);
    assert.equal(d.ok(["run", "--rm", "sec", "cat", "/ok", "/len"]), `ok\n${secret.length}`);
    assert.equal(
      d.ok(["run", "--rm", "sec", "sh", "-c", "ls /run/secrets /etc/tok.txt 2>&1 | grep -c 'No such file'"]),
      "2",
    );
    const hist = d.ok(["history", "--no-trunc", "sec"]);
    assert.doesNotMatch(hist, new RegExp(secret));
    const tar = join(work, "sec.tar");
    d.ok(["save", "-o", tar, "sec"]);
    assert.equal(readFileSync(tar).includes(secret), false);
    // Also inside each (possibly compressed) layer: unpack the saved image and grep everything.
    const x = join(work, "sec-x");
    mkdirSync(x);
    spawnSync("tar", ["-xf", tar, "-C", x]);
    const grep = spawnSync(
      "sh",
      [
        "-c",
        `for f in $(find ${x} -type f); do (zcat -f "$f" 2>/dev/null || cat "$f") | grep -c ${secret}; done | sort -u`,
      ],
      { encoding: "utf8" },
    );
    assert.doesNotMatch(grep.stdout, /[1-9]/);
    // Without the secret, a required one fails and an optional one is skipped.
    const noSecret = await build(dir);
    assert.notEqual(noSecret.code, 0);
  });

  it("COPY --parents, --exclude and --link", async () => {
    const dir = ctx("copyflags", {
      Dockerfile: [
        "FROM bb",
        "COPY --parents a/b/one.txt a/c/*.txt /p/",
        "COPY --parents ./a/./b/one.txt /pivot/",
        "COPY --exclude=**/*.log --exclude=skip . /ex/",
        "COPY --link a/b/one.txt /linked",
        "",
      ].join("\n"),
      "a/b/one.txt": "1",
      "a/c/two.txt": "2",
      "a/c/three.log": "3",
      "top.log": "l",
      "skip/f": "s",
      "keep.txt": "k",
    });
    const r = await build(dir, "-t", "cf");
    assert.equal(r.code, 0, r.err + r.out);
    const list = d.ok(["run", "--rm", "cf", "sh", "-c", "cd / && find p pivot ex linked -type f | sort"]);
    assert.deepEqual(list.split("\n"), [
      "ex/Dockerfile",
      "ex/a/b/one.txt",
      "ex/a/c/two.txt",
      "ex/keep.txt",
      "linked",
      "p/a/b/one.txt",
      "p/a/c/two.txt",
      "pivot/b/one.txt",
    ]);
    for (const [line, re] of [
      ["COPY --chmod=u+x keep.txt /k", /--chmod=u\+x: berth supports octal modes only/],
      ["COPY --nope keep.txt /k", /COPY --nope is not supported/],
      ["RUN --security=insecure true", /RUN --security=insecure is not supported/],
    ] as const) {
      writeFileSync(join(dir, "Dockerfile"), `FROM bb\n${line}\n`);
      const bad = await build(dir);
      assert.notEqual(bad.code, 0, line);
      assert.match(bad.err, re, line);
    }
  });

  it("ADD an http URL with --checksum, and a git repository; # syntax= is noted", async () => {
    const body = Buffer.from(`remote file ${Date.now()}\n`);
    files.set("/files/remote.txt", body);
    const sum = spawnSync("sha256sum", { input: body, encoding: "utf8" }).stdout.split(" ")[0];
    const dir = ctx("addurl", {
      Dockerfile: `# syntax=docker/dockerfile:1\nFROM bb\nADD --checksum=sha256:${sum} ${base}/files/remote.txt /r/\nADD ${base}/files/remote.txt /plain\n`,
    });
    const r = await build(dir, "-t", "addurl", "--network", "host");
    assert.equal(r.code, 0, r.err + r.out);
    assert.match(r.out, /# syntax=docker\/dockerfile:1: berth uses its own Dockerfile frontend/);
    assert.equal(d.ok(["run", "--rm", "addurl", "cat", "/r/remote.txt"]), body.toString().trim());
    assert.equal(d.ok(["run", "--rm", "addurl", "stat", "-c", "%a", "/plain"]), "600");
    const wrong = ctx("addurl-bad", {
      Dockerfile: `FROM bb\nADD --checksum=sha256:${"0".repeat(64)} ${base}/files/remote.txt /r\n`,
    });
    const rb = await build(wrong);
    assert.notEqual(rb.code, 0);
    assert.match(rb.err, /digest mismatch/);
    // A git repository over the dumb HTTP protocol (static files).
    const repo = join(work, "src-repo");
    const git = (args: string[], cwd = repo) => {
      const g = spawnSync("git", args, { cwd, encoding: "utf8" });
      assert.equal(g.status, 0, g.stderr);
    };
    mkdirSync(repo);
    git(["init", "-q", "-b", "main"]);
    writeFileSync(join(repo, "hello.txt"), "from git\n");
    writeFileSync(join(repo, "Dockerfile"), "FROM bb\nCOPY hello.txt /from-remote-context\n");
    git(["add", "."]);
    git(["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "one"]);
    mkdirSync(join(work, "www"), { recursive: true });
    git(["clone", "-q", "--bare", repo, join(work, "www", "repo.git")], work);
    git(["update-server-info"], join(work, "www", "repo.git"));
    const g = ctx("addgit", { Dockerfile: `FROM bb\nADD ${base}/repo.git#main /src\n` });
    const rg = await build(g, "-t", "addgit");
    assert.equal(rg.code, 0, rg.err + rg.out);
    assert.equal(d.ok(["run", "--rm", "addgit", "cat", "/src/hello.txt"]), "from git");
    assert.equal(d.ok(["run", "--rm", "addgit", "sh", "-c", "ls -A /src | grep -c .git || true"]), "0");
    // The same repository as a remote build context, and a tarball URL.
    // (berth's CLI passes URLs to the daemon as `remote`; the docker CLI fetches them itself.)
    const berth = (args: string[]) =>
      runAsync(process.execPath, [BERTH, ...args], { ...process.env, DOCKER_HOST: d.host });
    const rc = await berth(["build", "-t", "remote-git", `${base}/repo.git#main`]);
    assert.equal(rc.code, 0, rc.err + rc.out);
    assert.equal(d.ok(["run", "--rm", "remote-git", "cat", "/from-remote-context"]), "from git");
    files.set("/ctx.tar", spawnSync("tar", ["-C", repo, "--exclude=.git", "-c", "."]).stdout);
    const rt = await berth(["build", "-t", "remote-tar", `${base}/ctx.tar`]);
    assert.equal(rt.code, 0, rt.err + rt.out);
    assert.equal(d.ok(["run", "--rm", "remote-tar", "cat", "/from-remote-context"]), "from git");
    files.set("/plain/Dockerfile", Buffer.from("FROM bb\nRUN echo plain > /p\n"));
    const rp = await berth(["build", "-t", "remote-plain", `${base}/plain/Dockerfile`]);
    assert.equal(rp.code, 0, rp.err + rp.out);
    assert.equal(d.ok(["run", "--rm", "remote-plain", "cat", "/p"]), "plain");
    const r404 = await berth(["build", `${base}/nothing-here.tar`]);
    assert.notEqual(r404.code, 0);
    assert.match(r404.err, /404/);
  });

  it("keys the cache on stat data: only changed files are read again", async () => {
    const content: Record<string, string> = { Dockerfile: "FROM bb\nCOPY . /app/\n" };
    for (let i = 0; i < 30; i++) content[`src/f${i}.txt`] = `file ${i}\n`;
    const dir = ctx("statcache", content);
    const old = new Date(Date.now() - 3600_000);
    for (const f of Object.keys(content)) utimesSync(join(dir, f), old, old);
    const lastFacts = () => {
      const lines = d
        .log()
        .split("\n")
        .filter((l) => l.includes("build sources hashed"));
      return JSON.parse(lines[lines.length - 1]!) as {
        contextFilesRead: number;
        contextFilesFromStat: number;
      };
    };
    assert.equal((await build(dir, "-t", "stat1")).code, 0);
    assert.equal(lastFacts().contextFilesRead, 31);
    writeFileSync(join(dir, "src/f7.txt"), "changed, longer\n");
    utimesSync(join(dir, "src/f7.txt"), old, new Date(old.getTime() + 5000));
    const r = await build(dir, "-t", "stat2");
    assert.equal(r.code, 0, r.err);
    assert.deepEqual(lastFacts(), { ...lastFacts(), contextFilesRead: 1, contextFilesFromStat: 30 });
    assert.doesNotMatch(r.out, /Step 2\/2 : COPY[^\n]*\n ---> Using cache/);
    assert.equal(d.ok(["run", "--rm", "stat2", "cat", "/app/src/f7.txt"]), "changed, longer");
    // Unchanged: every file from stat data, and the step from the cache.
    const again = await build(dir, "-t", "stat3");
    assert.match(again.out, /Using cache/);
    assert.equal(lastFacts().contextFilesRead, 0);
  });

  it("builds independent stages in parallel", async () => {
    const dir = ctx("parallel", {
      Dockerfile: [
        "FROM bb AS one",
        // Each RUN records when it ran by the host's clock (/proc/uptime is not namespaced).
        "RUN read a _ < /proc/uptime; sleep 3; read b _ < /proc/uptime; echo $a $b > /one",
        "FROM bb AS two",
        "RUN read a _ < /proc/uptime; sleep 3; read b _ < /proc/uptime; echo $a $b > /two",
        "FROM bb",
        "COPY --from=one /one /one",
        "COPY --from=two /two /two",
        "",
      ].join("\n"),
    });
    const r = await build(dir, "--no-cache", "-t", "par");
    assert.equal(r.code, 0, r.err + r.out);
    const [one, two] = d
      .ok(["run", "--rm", "par", "cat", "/one", "/two"])
      .split("\n")
      .map((l) => l.split(" ").map(Number) as [number, number]);
    // The two RUN steps overlapped in time (one after the other, each starts after the other
    // ended); the output still reads in Dockerfile order.
    assert.ok(one![0] < two![1] && two![0] < one![1], `RUNs at ${one} and ${two} did not overlap`);
    const steps = [...r.out.matchAll(/Step (\d+)\/7/g)].map((m) => Number(m[1]));
    assert.deepEqual(steps, [1, 2, 3, 4, 5, 6, 7]);
  });
});
