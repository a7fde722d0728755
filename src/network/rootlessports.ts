/**
 * Published ports of a rootless daemon: berthd's nftables DNAT works inside
 * rootlesskit's network namespace, and rootlesskit's builtin port driver
 * listens on the host (as the user) and connects each accepted connection to
 * 127.0.0.1:<port> inside that namespace, where the DNAT sends it on to the
 * container. API: rootlesskit's pkg/api (POST/DELETE /v1/ports over
 * <state-dir>/api.sock).
 */
import { request } from "node:http";
import { join } from "node:path";
import { conflict } from "../util/errors.js";

/** One host port, as rootlesskit's port.Spec. */
export interface HostPortSpec {
  proto: "tcp" | "udp";
  /** Host address to listen on ("0.0.0.0", "127.0.0.1", ...). */
  hostIp: string;
  hostPort: number;
}

function call(socket: string, method: string, path: string, body?: unknown): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const req = request(
      {
        socketPath: socket,
        method,
        path,
        headers: data ? { "content-type": "application/json", "content-length": data.length } : {},
        timeout: 30_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("error", reject);
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString();
          let json: { message?: string } | undefined;
          try {
            json = text ? JSON.parse(text) : undefined;
          } catch {}
          if ((res.statusCode ?? 500) >= 300)
            reject(new Error(json?.message ?? (text || `status ${res.statusCode}`)));
          else resolve(json);
        });
      },
    );
    req.on("timeout", () => req.destroy(new Error(`rootlesskit API ${method} ${path}: timed out`)));
    req.on("error", reject);
    req.end(data);
  });
}

/** rootlesskit's port driver, keeping the port ids it handed out per container. */
export class RootlessPorts {
  private readonly socket: string;
  private readonly ids = new Map<string, number[]>();

  constructor(stateDir: string) {
    this.socket = join(stateDir, "api.sock");
  }

  /**
   * Listens on the host for each spec, forwarding to the same port on the
   * namespace's loopback. Throws Conflict with rootlesskit's reason (port in
   * use, privileged port); ports added before the failure are removed.
   */
  async add(cid: string, specs: HostPortSpec[]): Promise<void> {
    for (const s of specs) {
      try {
        const res = (await call(this.socket, "POST", "/v1/ports", {
          proto: s.proto,
          parentIP: s.hostIp || "0.0.0.0",
          parentPort: s.hostPort,
          childIP: "127.0.0.1",
          childPort: s.hostPort,
        })) as { id: number };
        this.ids.set(cid, [...(this.ids.get(cid) ?? []), res.id]);
      } catch (err) {
        await this.remove(cid);
        throw conflict(
          `driver failed programming external connectivity: rootlesskit cannot publish ${s.hostIp || "0.0.0.0"}:${s.hostPort}/${s.proto}: ${(err as Error).message}`,
        );
      }
    }
  }

  /** Stops listening on the container's host ports (unknown ones are ignored). */
  async remove(cid: string): Promise<void> {
    const ids = this.ids.get(cid) ?? [];
    this.ids.delete(cid);
    for (const id of ids) await call(this.socket, "DELETE", `/v1/ports/${id}`).catch(() => {});
  }
}
