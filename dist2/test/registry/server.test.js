/**
 * berth's registry server: skopeo pushes and pulls through it, the raw distribution-spec protocol
 * (chunked uploads, ranges, mounts, manifests, listings, referrers, v1 search), htpasswd auth,
 * TLS, garbage collection, and `berth registry serve`.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { get as httpsGet } from "node:https";
import { join, resolve } from "node:path";
import { after, before, describe, it } from "node:test";
import { gunzipSync } from "node:zlib";
import bcrypt from "bcryptjs";
import { collectGarbage, startRegistryServer } from "../../src/registry/server/index.js";
const OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
const OCI_INDEX = "application/vnd.oci.image.index.v1+json";
const DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json";
const CLI = resolve(import.meta.dirname, "../../src/cli/main.js");
const sha256 = (b) => `sha256:${createHash("sha256").update(b).digest("hex")}`;
const host = (srv) => srv.url.replace(/^https?:\/\//, "");
/** Runs skopeo without blocking the event loop (the registry under test lives in this process). */
function run(args) {
    return new Promise((res, rej) => {
        const p = spawn("skopeo", ["--insecure-policy", ...args], { stdio: ["ignore", "pipe", "pipe"] });
        let out = "";
        let err = "";
        p.stdout.on("data", (d) => {
            out += d;
        });
        p.stderr.on("data", (d) => {
            err += d;
        });
        const timer = setTimeout(() => p.kill("SIGKILL"), 120_000);
        p.on("error", rej);
        p.on("close", (code) => {
            clearTimeout(timer);
            res({ code, out, err });
        });
    });
}
async function skopeo(args) {
    const r = await run(args);
    assert.equal(r.code, 0, `skopeo ${args.join(" ")}: ${r.err}`);
    return r.out;
}
/** An OCI image layout at <dir>/layout with tag "1": one layer holding /etc/hello. */
function ociLayout(dir, text) {
    const rootfs = join(dir, "rootfs");
    mkdirSync(join(rootfs, "etc"), { recursive: true });
    writeFileSync(join(rootfs, "etc", "hello"), text);
    // Compressed, so that skopeo pushes the layout as it is instead of compressing it on the way.
    const tarFile = join(dir, "layer.tar.gz");
    const t = spawnSync("tar", ["--numeric-owner", "-C", rootfs, "-czf", tarFile, "."]);
    assert.equal(t.status, 0, String(t.stderr));
    const layout = join(dir, "layout");
    mkdirSync(join(layout, "blobs", "sha256"), { recursive: true });
    const put = (b) => {
        const digest = sha256(b);
        writeFileSync(join(layout, "blobs", "sha256", digest.slice(7)), b);
        return { digest, size: b.length };
    };
    const gz = readFileSync(tarFile);
    const layer = put(gz);
    const config = put(Buffer.from(JSON.stringify({
        architecture: "amd64",
        os: "linux",
        config: { Cmd: ["sh"] },
        rootfs: { type: "layers", diff_ids: [sha256(gunzipSync(gz))] },
    })));
    const manifest = put(Buffer.from(JSON.stringify({
        schemaVersion: 2,
        mediaType: OCI_MANIFEST,
        config: { mediaType: "application/vnd.oci.image.config.v1+json", ...config },
        layers: [{ mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", ...layer }],
    })));
    writeFileSync(join(layout, "oci-layout"), '{"imageLayoutVersion":"1.0.0"}');
    const ref = { "org.opencontainers.image.ref.name": "1" };
    writeFileSync(join(layout, "index.json"), JSON.stringify({
        schemaVersion: 2,
        manifests: [{ mediaType: OCI_MANIFEST, ...manifest, annotations: ref }],
    }));
    return { layout, digest: manifest.digest };
}
async function start(extra = {}) {
    const dir = mkdtempSync("/tmp/berth-registry-");
    const srv = await startRegistryServer({ addr: "127.0.0.1:0", root: join(dir, "root"), ...extra });
    return { dir, srv };
}
/** A monolithic upload (POST ?digest=); returns the digest. */
async function pushBlob(srv, repo, data, auth) {
    const digest = sha256(data);
    const headers = { "Content-Type": "application/octet-stream" };
    if (auth)
        headers.Authorization = auth;
    const r = await fetch(`${srv.url}/v2/${repo}/blobs/uploads/?digest=${digest}`, {
        method: "POST",
        body: data,
        headers,
    });
    assert.equal(r.status, 201, await r.text());
    return digest;
}
function imageManifest(config, configSize, layers, extra = {}) {
    return {
        schemaVersion: 2,
        mediaType: OCI_MANIFEST,
        config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: config, size: configSize },
        layers: layers.map(([digest, size]) => ({
            mediaType: "application/vnd.oci.image.layer.v1.tar",
            digest,
            size,
        })),
        ...extra,
    };
}
async function putManifest(srv, repo, ref, m, type = OCI_MANIFEST) {
    return fetch(`${srv.url}/v2/${repo}/manifests/${ref}`, {
        method: "PUT",
        headers: { "Content-Type": type },
        body: JSON.stringify(m),
    });
}
const basic = (u, p) => `Basic ${Buffer.from(`${u}:${p}`).toString("base64")}`;
async function errorCode(r) {
    const body = (await r.json());
    return body.errors[0].code;
}
describe("skopeo against the registry", () => {
    let dir;
    let srv;
    before(async () => ({ dir, srv } = await start()));
    after(async () => {
        await srv.close();
        rmSync(dir, { recursive: true, force: true });
    });
    it("pushes, inspects, copies between repositories and pulls back", async () => {
        const { layout, digest } = ociLayout(dir, "hello from berth\n");
        const pushed = join(dir, "pushed.digest");
        await skopeo([
            "copy",
            "--dest-tls-verify=false",
            "--digestfile",
            pushed,
            `oci:${layout}:1`,
            `docker://${host(srv)}/test/bb:1`,
        ]);
        assert.equal(readFileSync(pushed, "utf8").trim(), digest, "the manifest goes up byte for byte");
        const info = JSON.parse(await skopeo(["inspect", "--tls-verify=false", `docker://${host(srv)}/test/bb:1`]));
        assert.equal(info.Digest, digest);
        assert.equal(info.Layers.length, 1);
        const copied = join(dir, "copied.digest");
        await skopeo([
            "copy",
            "--src-tls-verify=false",
            "--dest-tls-verify=false",
            "--digestfile",
            copied,
            `docker://${host(srv)}/test/bb:1`,
            `docker://${host(srv)}/other/nested/bb:2`,
        ]);
        assert.equal(readFileSync(copied, "utf8").trim(), digest);
        const out = join(dir, "pulled");
        await skopeo([
            "copy",
            "--src-tls-verify=false",
            `docker://${host(srv)}/other/nested/bb:2`,
            `oci:${out}:1`,
        ]);
        const index = JSON.parse(readFileSync(join(out, "index.json"), "utf8"));
        assert.equal(index.manifests[0].digest, digest);
        assert.ok(existsSync(join(out, "blobs", "sha256", digest.slice(7))));
        const tags = JSON.parse(await skopeo(["list-tags", "--tls-verify=false", `docker://${host(srv)}/other/nested/bb`]));
        assert.deepEqual(tags.Tags, ["2"]);
    });
});
describe("distribution protocol over HTTP", () => {
    let dir;
    let srv;
    before(async () => ({ dir, srv } = await start()));
    after(async () => {
        await srv.close();
        rmSync(dir, { recursive: true, force: true });
    });
    it("answers /v2/ with the API version header", async () => {
        const r = await fetch(`${srv.url}/v2/`);
        assert.equal(r.status, 200);
        assert.equal(r.headers.get("docker-distribution-api-version"), "registry/2.0");
        assert.deepEqual(await r.json(), {});
    });
    it("takes a chunked upload in three PATCHes, then serves the blob with ranges", async () => {
        const data = Buffer.from("0123456789abcdefghijklmnopqrstuvwxyz");
        const digest = sha256(data);
        const post = await fetch(`${srv.url}/v2/a/b/c/blobs/uploads/`, { method: "POST" });
        assert.equal(post.status, 202);
        assert.equal(post.headers.get("range"), "0-0");
        assert.ok(post.headers.get("docker-upload-uuid"));
        let location = post.headers.get("location");
        const parts = [data.subarray(0, 10), data.subarray(10, 20), data.subarray(20)];
        let offset = 0;
        for (const part of parts) {
            const r = await fetch(new URL(location, srv.url), {
                method: "PATCH",
                headers: {
                    "Content-Type": "application/octet-stream",
                    "Content-Range": `${offset}-${offset + part.length - 1}`,
                },
                body: part,
            });
            assert.equal(r.status, 202, await r.text());
            offset += part.length;
            assert.equal(r.headers.get("range"), `0-${offset - 1}`);
            location = r.headers.get("location");
        }
        const status = await fetch(new URL(location, srv.url));
        assert.equal(status.status, 204);
        assert.equal(status.headers.get("range"), `0-${data.length - 1}`);
        const put = await fetch(new URL(`${location}?digest=${digest}`, srv.url), { method: "PUT" });
        assert.equal(put.status, 201, await put.text());
        assert.equal(put.headers.get("location"), `/v2/a/b/c/blobs/${digest}`);
        assert.equal(put.headers.get("docker-content-digest"), digest);
        const head = await fetch(`${srv.url}/v2/a/b/c/blobs/${digest}`, { method: "HEAD" });
        assert.equal(head.status, 200);
        assert.equal(head.headers.get("content-length"), String(data.length));
        assert.equal(head.headers.get("content-type"), "application/octet-stream");
        assert.equal(head.headers.get("docker-content-digest"), digest);
        const full = await fetch(`${srv.url}/v2/a/b/c/blobs/${digest}`);
        assert.deepEqual(Buffer.from(await full.arrayBuffer()), data);
        const part = await fetch(`${srv.url}/v2/a/b/c/blobs/${digest}`, { headers: { Range: "bytes=5-14" } });
        assert.equal(part.status, 206);
        assert.equal(part.headers.get("content-range"), `bytes 5-14/${data.length}`);
        assert.equal(Buffer.from(await part.arrayBuffer()).toString(), "56789abcde");
        const bad = await fetch(`${srv.url}/v2/a/b/c/blobs/${digest}`, { headers: { Range: "bytes=100-" } });
        assert.equal(bad.status, 416);
        await bad.body?.cancel();
        // Visible only where it was linked.
        const elsewhere = await fetch(`${srv.url}/v2/not/here/blobs/${digest}`);
        assert.equal(elsewhere.status, 404);
        assert.equal(await errorCode(elsewhere), "BLOB_UNKNOWN");
    });
    it("takes a streamed PATCH without Content-Range (chunked transfer encoding)", async () => {
        const chunks = [Buffer.alloc(70_000, 1), Buffer.alloc(50_000, 2)];
        const digest = sha256(Buffer.concat(chunks));
        const post = await fetch(`${srv.url}/v2/stream/blobs/uploads/`, { method: "POST" });
        const body = new ReadableStream({
            start(c) {
                for (const ch of chunks)
                    c.enqueue(ch);
                c.close();
            },
        });
        const patch = await fetch(new URL(post.headers.get("location"), srv.url), {
            method: "PATCH",
            body,
            duplex: "half",
        });
        assert.equal(patch.status, 202);
        assert.equal(patch.headers.get("range"), "0-119999");
        const put = await fetch(new URL(`${patch.headers.get("location")}?digest=${digest}`, srv.url), {
            method: "PUT",
        });
        assert.equal(put.status, 201);
    });
    it("rejects a wrong digest and drops the upload, and an out-of-order chunk with 416", async () => {
        const post = await fetch(`${srv.url}/v2/bad/blobs/uploads/`, { method: "POST" });
        const location = new URL(post.headers.get("location"), srv.url);
        const first = await fetch(location, {
            method: "PATCH",
            headers: { "Content-Range": "0-3" },
            body: "abcd",
        });
        assert.equal(first.status, 202);
        const skip = await fetch(location, {
            method: "PATCH",
            headers: { "Content-Range": "10-13" },
            body: "wxyz",
        });
        assert.equal(skip.status, 416);
        assert.equal(await errorCode(skip), "RANGE_INVALID");
        assert.equal(skip.headers.get("range"), "0-3");
        const wrong = sha256("something else");
        const put = await fetch(new URL(`${location.pathname}?digest=${wrong}`, srv.url), { method: "PUT" });
        assert.equal(put.status, 400);
        assert.equal(await errorCode(put), "DIGEST_INVALID");
        const gone = await fetch(location);
        assert.equal(gone.status, 404);
        assert.equal(await errorCode(gone), "BLOB_UPLOAD_UNKNOWN");
        assert.equal((await fetch(`${srv.url}/v2/bad/blobs/${wrong}`)).status, 404);
        const cancel = await fetch(`${srv.url}/v2/bad/blobs/uploads/`, { method: "POST" });
        const del = await fetch(new URL(cancel.headers.get("location"), srv.url), { method: "DELETE" });
        assert.equal(del.status, 204);
    });
    it("mounts blobs across repositories, falling back to an upload", async () => {
        const digest = await pushBlob(srv, "mount/src", "shared layer");
        const ok = await fetch(`${srv.url}/v2/mount/dst/blobs/uploads/?mount=${digest}&from=mount/src`, {
            method: "POST",
        });
        assert.equal(ok.status, 201);
        assert.equal(ok.headers.get("location"), `/v2/mount/dst/blobs/${digest}`);
        assert.equal((await fetch(`${srv.url}/v2/mount/dst/blobs/${digest}`, { method: "HEAD" })).status, 200);
        const fallback = await fetch(`${srv.url}/v2/mount/other/blobs/uploads/?mount=${digest}&from=mount/empty`, {
            method: "POST",
        });
        assert.equal(fallback.status, 202);
        assert.match(fallback.headers.get("location"), /^\/v2\/mount\/other\/blobs\/uploads\/[0-9a-f-]{36}$/);
    });
    it("validates names and manifests", async () => {
        const badName = await fetch(`${srv.url}/v2/Upper/Case/tags/list`);
        assert.equal(badName.status, 400);
        assert.equal(await errorCode(badName), "NAME_INVALID");
        const config = await pushBlob(srv, "man/x", "{}");
        const missing = sha256("never pushed");
        const r = await putManifest(srv, "man/x", "v1", imageManifest(config, 2, [[missing, 12]]));
        assert.equal(r.status, 400);
        assert.equal(await errorCode(r), "MANIFEST_BLOB_UNKNOWN");
        const notJson = await fetch(`${srv.url}/v2/man/x/manifests/v1`, {
            method: "PUT",
            headers: { "Content-Type": OCI_MANIFEST },
            body: "{nope",
        });
        assert.equal(await errorCode(notJson), "MANIFEST_INVALID");
        const unknown = await fetch(`${srv.url}/v2/man/x/manifests/nope`);
        assert.equal(unknown.status, 404);
        assert.equal(await errorCode(unknown), "MANIFEST_UNKNOWN");
    });
    it("stores manifests by digest and tag, lists tags with pagination, deletes", async () => {
        const config = await pushBlob(srv, "tags/repo", '{"os":"linux"}');
        const layer = await pushBlob(srv, "tags/repo", "layer bytes");
        const m = {
            schemaVersion: 2,
            mediaType: DOCKER_MANIFEST,
            config: { mediaType: "application/vnd.docker.container.image.v1+json", digest: config, size: 14 },
            layers: [{ mediaType: "application/vnd.docker.image.rootfs.diff.tar.gzip", digest: layer, size: 11 }],
        };
        const body = JSON.stringify(m);
        const digest = sha256(body);
        for (const tag of ["c", "a", "e", "b", "d"]) {
            const r = await putManifest(srv, "tags/repo", tag, m, DOCKER_MANIFEST);
            assert.equal(r.status, 201, await r.text());
            assert.equal(r.headers.get("docker-content-digest"), digest);
            assert.equal(r.headers.get("location"), `/v2/tags/repo/manifests/${digest}`);
        }
        const got = await fetch(`${srv.url}/v2/tags/repo/manifests/a`);
        assert.equal(got.headers.get("content-type"), DOCKER_MANIFEST);
        assert.equal(got.headers.get("docker-content-digest"), digest);
        assert.equal(await got.text(), body);
        const head = await fetch(`${srv.url}/v2/tags/repo/manifests/${digest}`, { method: "HEAD" });
        assert.equal(head.headers.get("content-length"), String(Buffer.byteLength(body)));
        const p1 = await fetch(`${srv.url}/v2/tags/repo/tags/list?n=2`);
        assert.deepEqual(await p1.json(), { name: "tags/repo", tags: ["a", "b"] });
        assert.equal(p1.headers.get("link"), '</v2/tags/repo/tags/list?n=2&last=b>; rel="next"');
        const p3 = await fetch(`${srv.url}/v2/tags/repo/tags/list?n=2&last=d`);
        assert.deepEqual(await p3.json(), { name: "tags/repo", tags: ["e"] });
        assert.equal(p3.headers.get("link"), null);
        assert.equal((await fetch(`${srv.url}/v2/tags/repo/manifests/e`, { method: "DELETE" })).status, 202);
        assert.equal((await fetch(`${srv.url}/v2/tags/repo/manifests/e`)).status, 404);
        assert.equal((await fetch(`${srv.url}/v2/tags/repo/manifests/a`)).status, 200);
        const del = await fetch(`${srv.url}/v2/tags/repo/manifests/${digest}`, { method: "DELETE" });
        assert.equal(del.status, 202);
        const after = await fetch(`${srv.url}/v2/tags/repo/manifests/${digest}`);
        assert.equal(after.status, 404);
        assert.equal(await errorCode(after), "MANIFEST_UNKNOWN");
        assert.equal((await fetch(`${srv.url}/v2/tags/repo/manifests/a`)).status, 404, "tags went with it");
        const left = await fetch(`${srv.url}/v2/tags/repo/tags/list`);
        assert.deepEqual(await left.json(), { name: "tags/repo", tags: [] });
    });
    it("indexes manifests with a subject for the referrers API", async () => {
        const repo = "refs/app";
        const config = await pushBlob(srv, repo, "{}");
        const layer = await pushBlob(srv, repo, "app layer");
        const image = imageManifest(config, 2, [[layer, 9]]);
        const subject = sha256(JSON.stringify(image));
        assert.equal((await putManifest(srv, repo, "latest", image)).status, 201);
        const empty = await pushBlob(srv, repo, "{}");
        const sig = await pushBlob(srv, repo, "signature");
        const artifact = {
            schemaVersion: 2,
            mediaType: OCI_MANIFEST,
            artifactType: "application/vnd.example.sig",
            config: { mediaType: "application/vnd.oci.empty.v1+json", digest: empty, size: 2 },
            layers: [{ mediaType: "application/octet-stream", digest: sig, size: 9 }],
            subject: { mediaType: OCI_MANIFEST, digest: subject, size: JSON.stringify(image).length },
            annotations: { "org.example": "yes" },
        };
        const artifactDigest = sha256(JSON.stringify(artifact));
        const put = await putManifest(srv, repo, artifactDigest, artifact);
        assert.equal(put.status, 201, await put.text());
        assert.equal(put.headers.get("oci-subject"), subject);
        const list = await fetch(`${srv.url}/v2/${repo}/referrers/${subject}`);
        assert.equal(list.status, 200);
        assert.equal(list.headers.get("content-type"), OCI_INDEX);
        const index = (await list.json());
        assert.deepEqual(index.manifests, [
            {
                mediaType: OCI_MANIFEST,
                digest: artifactDigest,
                size: JSON.stringify(artifact).length,
                artifactType: "application/vnd.example.sig",
                annotations: { "org.example": "yes" },
            },
        ]);
        const filtered = await fetch(`${srv.url}/v2/${repo}/referrers/${subject}?artifactType=other/type`);
        assert.equal(filtered.headers.get("oci-filters-applied"), "artifactType");
        assert.deepEqual((await filtered.json()).manifests, []);
        // An index needs its manifests in the repository.
        const idx = {
            schemaVersion: 2,
            mediaType: OCI_INDEX,
            manifests: [{ mediaType: OCI_MANIFEST, digest: subject, size: 1, platform: { os: "linux" } }],
        };
        assert.equal((await putManifest(srv, repo, "multi", idx, OCI_INDEX)).status, 201);
        const orphan = { ...idx, manifests: [{ mediaType: OCI_MANIFEST, digest: sha256("x"), size: 1 }] };
        assert.equal(await errorCode(await putManifest(srv, repo, "orphan", orphan, OCI_INDEX)), "MANIFEST_BLOB_UNKNOWN");
        // Deleting the artifact takes it out of the referrers list.
        assert.equal((await fetch(`${srv.url}/v2/${repo}/manifests/${artifactDigest}`, { method: "DELETE" })).status, 202);
        const after = (await (await fetch(`${srv.url}/v2/${repo}/referrers/${subject}`)).json());
        assert.deepEqual(after.manifests, []);
    });
    it("lists the catalog with pagination and answers v1 search", async () => {
        for (const r of ["cat/one", "cat/two", "cat/three"])
            await pushBlob(srv, r, r);
        const all = (await (await fetch(`${srv.url}/v2/_catalog`)).json());
        assert.deepEqual(all.repositories.filter((r) => r.startsWith("cat/")), ["cat/one", "cat/three", "cat/two"]);
        assert.deepEqual([...all.repositories].sort(), all.repositories);
        const page = await fetch(`${srv.url}/v2/_catalog?n=1&last=cat/one`);
        assert.deepEqual(await page.json(), { repositories: ["cat/three"] });
        assert.equal(page.headers.get("link"), '</v2/_catalog?n=1&last=cat%2Fthree>; rel="next"');
        const found = await fetch(`${srv.url}/v1/search?q=thr&n=10`);
        assert.deepEqual(await found.json(), {
            num_results: 1,
            query: "thr",
            results: [
                { name: "cat/three", description: "", star_count: 0, is_official: false, is_automated: false },
            ],
        });
    });
});
describe("htpasswd auth", () => {
    let dir;
    let srv;
    before(async () => {
        dir = mkdtempSync("/tmp/berth-registry-auth-");
        const file = join(dir, "htpasswd");
        if (spawnSync("sh", ["-c", "command -v htpasswd"]).status === 0) {
            assert.equal(spawnSync("htpasswd", ["-B", "-b", "-c", file, "user", "pass"]).status, 0);
        }
        else {
            // What Debian's `htpasswd -B` writes: a $2y$ bcrypt hash.
            writeFileSync(file, `user:${bcrypt.hashSync("pass", 5).replace(/^\$2b\$/, "$2y$")}\n`);
        }
        const sha = createHash("sha1").update("secret").digest("base64");
        writeFileSync(file, `${readFileSync(file, "utf8")}old:{SHA}${sha}\n`);
        srv = await startRegistryServer({ addr: "127.0.0.1:0", root: join(dir, "root"), htpasswd: file });
    });
    after(async () => {
        await srv.close();
        rmSync(dir, { recursive: true, force: true });
    });
    it("challenges, refuses wrong passwords and accepts right ones", async () => {
        const none = await fetch(`${srv.url}/v2/`);
        assert.equal(none.status, 401);
        assert.equal(none.headers.get("www-authenticate"), 'Basic realm="berth-registry"');
        assert.equal(await errorCode(none), "UNAUTHORIZED");
        const wrong = await fetch(`${srv.url}/v2/`, { headers: { Authorization: basic("user", "nope") } });
        assert.equal(wrong.status, 401);
        await wrong.body?.cancel();
        assert.equal((await fetch(`${srv.url}/v2/`, { headers: { Authorization: basic("user", "pass") } })).status, 200);
        assert.equal((await fetch(`${srv.url}/v2/`, { headers: { Authorization: basic("old", "secret") } })).status, 200);
        const search = await fetch(`${srv.url}/v1/search?q=x`);
        assert.equal(search.status, 401);
        await search.body?.cancel();
    });
    it("lets skopeo push and pull with credentials", async () => {
        const { layout, digest } = ociLayout(dir, "private\n");
        const ref = `docker://${host(srv)}/private/img:1`;
        const bad = await run(["copy", "--dest-tls-verify=false", `oci:${layout}:1`, ref]);
        assert.notEqual(bad.code, 0, "no credentials, no push");
        await skopeo(["copy", "--dest-tls-verify=false", "--dest-creds", "user:pass", `oci:${layout}:1`, ref]);
        const info = JSON.parse(await skopeo(["inspect", "--tls-verify=false", "--creds", "user:pass", ref]));
        assert.equal(info.Digest, digest);
    });
});
describe("token auth", () => {
    let dir;
    let srv;
    const token = async (scopes, auth = basic("user", "pass")) => {
        const q = new URLSearchParams([
            ["service", "berth-registry"],
            ...scopes.map((sc) => ["scope", sc]),
        ]);
        const r = await fetch(`${srv.url}/token?${q}`, { headers: { Authorization: auth } });
        return { status: r.status, body: (await r.json()) };
    };
    const bearer = (t) => ({ Authorization: `Bearer ${t}` });
    before(async () => {
        dir = mkdtempSync("/tmp/berth-registry-token-");
        const file = join(dir, "htpasswd");
        writeFileSync(file, `user:${bcrypt.hashSync("pass", 5)}\n`);
        srv = await startRegistryServer({
            addr: "127.0.0.1:0",
            root: join(dir, "root"),
            htpasswd: file,
            tokenAuth: true,
        });
    });
    after(async () => {
        await srv.close();
        rmSync(dir, { recursive: true, force: true });
    });
    it("challenges with a Bearer realm and grants tokens for the scopes asked", async () => {
        const none = await fetch(`${srv.url}/v2/tok/app/tags/list`);
        assert.equal(none.status, 401);
        assert.equal(none.headers.get("www-authenticate"), `Bearer realm="${srv.url}/token",service="berth-registry",scope="repository:tok/app:pull"`);
        await none.body?.cancel();
        assert.equal((await token(["repository:tok/app:pull"], basic("user", "wrong"))).status, 401);
        const pull = await token(["repository:tok/app:pull"]);
        assert.equal(pull.status, 200);
        assert.equal(pull.body.expires_in, 300);
        assert.equal((await fetch(`${srv.url}/v2/`, { headers: bearer(pull.body.token) })).status, 200);
        const tags = await fetch(`${srv.url}/v2/tok/app/tags/list`, { headers: bearer(pull.body.token) });
        assert.equal(tags.status, 404, "authorized; the repository just does not exist");
        await tags.body?.cancel();
        // A pull token cannot push, nor reach another repository or the catalog.
        const denied = await fetch(`${srv.url}/v2/tok/app/blobs/uploads/`, {
            method: "POST",
            headers: bearer(pull.body.token),
        });
        assert.equal(denied.status, 401);
        assert.match(denied.headers.get("www-authenticate") ?? "", /scope="repository:tok\/app:pull,push",error="insufficient_scope"/);
        await denied.body?.cancel();
        for (const path of ["/v2/tok/other/tags/list", "/v2/_catalog"]) {
            const r = await fetch(`${srv.url}${path}`, { headers: bearer(pull.body.token) });
            assert.equal(r.status, 401, path);
            await r.body?.cancel();
        }
        const push = await token(["repository:tok/app:pull,push", "registry:catalog:*"]);
        const digest = await pushBlob(srv, "tok/app", "token layer", `Bearer ${push.body.token}`);
        const blob = await fetch(`${srv.url}/v2/tok/app/blobs/${digest}`, { headers: bearer(pull.body.token) });
        assert.equal(await blob.text(), "token layer");
        assert.equal((await fetch(`${srv.url}/v2/_catalog`, { headers: bearer(push.body.token) })).status, 200);
        // A forged or altered token is refused.
        const [h, p] = push.body.token.split(".");
        const forged = `${h}.${p}.${Buffer.alloc(32).toString("base64url")}`;
        const r = await fetch(`${srv.url}/v2/`, { headers: bearer(forged) });
        assert.equal(r.status, 401);
        await r.body?.cancel();
    });
    it("lets skopeo push and pull through the token flow", async () => {
        const { layout, digest } = ociLayout(dir, "behind tokens\n");
        const ref = `docker://${host(srv)}/tok/img:1`;
        assert.notEqual((await run(["copy", "--dest-tls-verify=false", `oci:${layout}:1`, ref])).code, 0);
        await skopeo(["copy", "--dest-tls-verify=false", "--dest-creds", "user:pass", `oci:${layout}:1`, ref]);
        const info = JSON.parse(await skopeo(["inspect", "--tls-verify=false", "--creds", "user:pass", ref]));
        assert.equal(info.Digest, digest);
    });
});
describe("TLS", () => {
    it("serves HTTPS with the given certificate", async () => {
        const dir = mkdtempSync("/tmp/berth-registry-tls-");
        const cert = join(dir, "cert.pem");
        const key = join(dir, "key.pem");
        const gen = spawnSync("openssl", [
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-days",
            "1",
            "-keyout",
            key,
            "-out",
            cert,
        ]);
        assert.equal(gen.status, 0, String(gen.stderr));
        const root = join(dir, "root");
        const srv = await startRegistryServer({ addr: "127.0.0.1:0", root, tlsCert: cert, tlsKey: key });
        try {
            assert.match(srv.url, /^https:\/\/127\.0\.0\.1:\d+$/);
            const status = await new Promise((res, rej) => {
                httpsGet(`${srv.url}/v2/`, { ca: readFileSync(cert) }, (r) => {
                    r.resume();
                    res(r.statusCode ?? 0);
                }).on("error", rej);
            });
            assert.equal(status, 200);
        }
        finally {
            await srv.close();
            rmSync(dir, { recursive: true, force: true });
        }
    });
});
describe("garbage collection", () => {
    it("removes unreferenced blobs and stale uploads, keeps referenced ones", async () => {
        const { dir, srv } = await start();
        try {
            const config = await pushBlob(srv, "gc/app", "{}");
            const layer = await pushBlob(srv, "gc/app", "kept layer");
            const orphan = await pushBlob(srv, "gc/app", "orphan layer");
            const m = imageManifest(config, 2, [[layer, 10]]);
            assert.equal((await putManifest(srv, "gc/app", "v1", m)).status, 201);
            const manifestDigest = sha256(JSON.stringify(m));
            const upload = await fetch(`${srv.url}/v2/gc/app/blobs/uploads/`, { method: "POST" });
            assert.equal(upload.status, 202);
            // Within the grace period nothing goes.
            assert.deepEqual(await srv.gc(), { blobs: [], uploads: [] });
            const result = await collectGarbage(srv.root, { graceMs: 0, uploadMaxAgeMs: 0 });
            assert.deepEqual(result.blobs, [orphan]);
            assert.deepEqual(result.uploads, [upload.headers.get("docker-upload-uuid")]);
            assert.equal((await fetch(`${srv.url}/v2/gc/app/blobs/${orphan}`)).status, 404);
            assert.equal(existsSync(join(srv.root, "blobs", "sha256", orphan.slice(7, 9), orphan.slice(7))), false);
            for (const d of [config, layer])
                assert.equal((await fetch(`${srv.url}/v2/gc/app/blobs/${d}`)).status, 200);
            assert.equal((await fetch(`${srv.url}/v2/gc/app/manifests/${manifestDigest}`)).status, 200);
            assert.equal((await fetch(new URL(upload.headers.get("location"), srv.url))).status, 404);
        }
        finally {
            await srv.close();
            rmSync(dir, { recursive: true, force: true });
        }
    });
    it("runs from the CLI as berth registry garbage-collect", async () => {
        const { dir, srv } = await start();
        try {
            const orphan = await pushBlob(srv, "gc/cli", "orphan from the cli");
            const cli = (...a) => spawnSync(process.execPath, [CLI, "registry", "garbage-collect", "--root", srv.root, ...a], {
                encoding: "utf8",
            });
            const young = cli();
            assert.equal(young.status, 0, young.stderr);
            assert.match(young.stdout, /^0 blobs, 0 uploads deleted$/m, "the grace period keeps a fresh blob");
            const dry = cli("--grace", "0", "--dry-run");
            assert.match(dry.stdout, new RegExp(`would delete blob ${orphan}`));
            assert.equal((await fetch(`${srv.url}/v2/gc/cli/blobs/${orphan}`)).status, 200, "a dry run deletes nothing");
            const real = cli("--grace", "0");
            assert.equal(real.status, 0, real.stderr);
            assert.match(real.stdout, new RegExp(`deleted blob ${orphan}`));
            assert.equal((await fetch(`${srv.url}/v2/gc/cli/blobs/${orphan}`)).status, 404);
            assert.equal(cli("--grace", "soon").status, 1);
        }
        finally {
            await srv.close();
            rmSync(dir, { recursive: true, force: true });
        }
    });
});
describe("berth registry serve", () => {
    it("starts from the CLI and stops on SIGTERM", async () => {
        const dir = mkdtempSync("/tmp/berth-registry-cli-");
        const proc = spawn(process.execPath, [CLI, "registry", "serve", "--addr", "127.0.0.1:0", "--root", dir], {
            stdio: ["ignore", "pipe", "pipe"],
        });
        try {
            const url = await new Promise((res, rej) => {
                let out = "";
                proc.stdout.on("data", (d) => {
                    out += d;
                    const m = /registry listening on (\S+)/.exec(out);
                    if (m)
                        res(m[1]);
                });
                proc.once("exit", (code) => rej(new Error(`exited ${code}`)));
            });
            const r = await fetch(`${url}/v2/`);
            assert.equal(r.status, 200);
            const exited = new Promise((res) => proc.once("exit", res));
            proc.kill("SIGTERM");
            assert.equal(await exited, 0);
        }
        finally {
            proc.kill("SIGKILL");
            rmSync(dir, { recursive: true, force: true });
        }
    });
});
//# sourceMappingURL=server.test.js.map