/**
 * `make test-long` (not part of `make test`): berthd under sustained use.
 * 1,000 containers started and removed, then 50 parallel API clients for two
 * minutes (lists, inspects, create/start/wait/logs/remove, networks); no
 * request may fail, and afterwards berthd's RSS and open fds must be back
 * near their baseline and nothing may be left (containers, mounts).
 * SOAK_CONTAINERS, SOAK_CLIENTS and SOAK_SECONDS override the sizes.
 */
import assert from "node:assert/strict";
import { execSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { request } from "node:http";
import { after, before, describe, it } from "node:test";
import { busyboxTar, cleanupDaemon, startDaemon, type TestDaemon } from "../helpers/daemon.js";

const CONTAINERS = Number(process.env.SOAK_CONTAINERS ?? 1000);
const CLIENTS = Number(process.env.SOAK_CLIENTS ?? 50);
const SECONDS = Number(process.env.SOAK_SECONDS ?? 120);

interface Reply {
  status: number;
  body: string;
}

function api(socket: string, method: string, path: string, body?: unknown): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const req = request(
      {
        socketPath: socket,
        method,
        path: `/v1.41${path}`,
        headers: data ? { "content-type": "application/json", "content-length": data.length } : {},
        timeout: 120_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
        res.on("error", reject);
      },
    );
    req.on("timeout", () => req.destroy(new Error(`${method} ${path}: timed out`)));
    req.on("error", reject);
    req.end(data);
  });
}

/** RSS in KiB and open fds of a process. */
function usage(pid: number): { rssKiB: number; fds: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const rssKiB = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return { rssKiB, fds: readdirSync(`/proc/${pid}/fd`).length };
}

async function pool<T>(n: number, items: T[], fn: (x: T) => Promise<void>): Promise<void> {
  let i = 0;
  await Promise.all(
    Array.from({ length: n }, async () => {
      while (i < items.length) await fn(items[i++]!);
    }),
  );
}

describe("soak", { timeout: 30 * 60_000 }, () => {
  let d: TestDaemon;
  let work: string;
  let base: { rssKiB: number; fds: number };
  const errors: string[] = [];

  const call = async (method: string, path: string, body?: unknown, ok = [200, 201, 204]): Promise<Reply> => {
    const r = await api(d.socket, method, path, body);
    if (!ok.includes(r.status)) errors.push(`${method} ${path}: ${r.status} ${r.body.slice(0, 200)}`);
    return r;
  };

  /** create, start, wait, logs, remove: one short container's life. */
  const life = async (cmd: string[]): Promise<void> => {
    const c = await call("POST", "/containers/create", { Image: "bb", Cmd: cmd }, [201]);
    const id = (JSON.parse(c.body) as { Id?: string }).Id;
    if (!id) return;
    await call("POST", `/containers/${id}/start`, undefined, [204]);
    await call("POST", `/containers/${id}/wait`);
    await call("GET", `/containers/${id}/logs?stdout=1&stderr=1`);
    await call("DELETE", `/containers/${id}?force=1`, undefined, [204]);
  };

  before(async () => {
    d = await startDaemon({ extraArgs: ["--log-level", "warn"] });
    work = mkdtempSync("/tmp/berth-soak-");
    d.ok(["import", "--change", 'CMD ["sh"]', busyboxTar(work), "bb"]);
    // Warm-up, so the baseline includes what the first requests load once.
    for (let i = 0; i < 5; i++) await life(["true"]);
    await call("GET", "/containers/json?all=1");
    await new Promise((r) => setTimeout(r, 2000));
    base = usage(d.proc.pid!);
    console.log(`baseline: RSS ${(base.rssKiB / 1024).toFixed(1)} MiB, ${base.fds} fds`);
  });
  after(async () => {
    await cleanupDaemon(d);
    rmSync(work, { recursive: true, force: true });
  });

  it(`starts and removes ${CONTAINERS} containers`, async () => {
    const t0 = Date.now();
    await pool(
      8,
      Array.from({ length: CONTAINERS }, (_, i) => i),
      async () => {
        await life(["true"]);
      },
    );
    const s = (Date.now() - t0) / 1000;
    const u = usage(d.proc.pid!);
    console.log(
      `${CONTAINERS} containers in ${s.toFixed(0)} s (${(CONTAINERS / s).toFixed(1)}/s); RSS ${(u.rssKiB / 1024).toFixed(1)} MiB, ${u.fds} fds`,
    );
    assert.deepEqual(errors, []);
  });

  it(`serves ${CLIENTS} parallel API clients for ${SECONDS} s`, async () => {
    const end = Date.now() + SECONDS * 1000;
    let ops = 0;
    const client = async (n: number) => {
      for (let i = 0; Date.now() < end; i++) {
        switch ((n + i) % 8) {
          case 0:
            await call("GET", "/containers/json?all=1");
            break;
          case 1:
            await call("GET", "/images/json");
            break;
          case 2:
            await call("GET", "/info");
            break;
          case 3:
            await call("GET", "/version");
            break;
          case 4:
          case 5:
            await life(["echo", `client ${n} op ${i}`]);
            break;
          case 6: {
            const name = `soak-${n}-${i}`;
            await call("POST", "/networks/create", { Name: name }, [201]);
            await call("GET", `/networks/${name}`);
            await call("DELETE", `/networks/${name}`, undefined, [204]);
            break;
          }
          default:
            await call("GET", "/images/bb/json");
        }
        ops++;
      }
    };
    await Promise.all(Array.from({ length: CLIENTS }, (_, n) => client(n)));
    const u = usage(d.proc.pid!);
    console.log(
      `${ops} operations by ${CLIENTS} clients; RSS ${(u.rssKiB / 1024).toFixed(1)} MiB, ${u.fds} fds`,
    );
    assert.deepEqual(errors.slice(0, 20), []);
  });

  it("is back near its baseline afterwards, with nothing left", async () => {
    await new Promise((r) => setTimeout(r, 5000));
    const u = usage(d.proc.pid!);
    console.log(
      `after: RSS ${(u.rssKiB / 1024).toFixed(1)} MiB (baseline ${(base.rssKiB / 1024).toFixed(1)}), ${u.fds} fds (baseline ${base.fds})`,
    );
    assert.equal(d.ok(["ps", "-aq"]), "");
    assert.equal(execSync(`grep -c ' ${d.dir}' /proc/mounts || true`).toString().trim(), "0");
    assert.ok(u.fds <= base.fds + 3, `fds ${base.fds} -> ${u.fds}`);
    assert.ok(u.rssKiB <= base.rssKiB * 1.5 + 30 * 1024, `RSS ${base.rssKiB} -> ${u.rssKiB} KiB`);
  });
});
