import type { Duplex } from "node:stream";
import { createWebSocketStream, type WebSocket, WebSocketServer } from "ws";
/** /containers routes: thin handlers over engine.containers. */
import type { ContainerService } from "../engine/containers/index.js";
import { pruneContainers } from "../engine/containers/prune.js";
import type { HostConfig } from "../engine/containers/types.js";
import { parseFilters } from "../engine/filters.js";
import { invalid, isKind } from "../util/errors.js";
import {
  boolParam,
  type Ctx,
  checkedBody,
  hijack,
  intParam,
  jsonBody,
  type Router,
  sendJson,
  sendStatus,
  skipBody,
  timeParam,
} from "./router.js";
import { parseCreate, UpdateSchema } from "./schema/containers.js";
import { ExecCreateSchema, ExecStartSchema } from "./schema/resources.js";

const rawStream = "application/vnd.docker.raw-stream";
const wss = new WebSocketServer({ noServer: true });

export function containerRoutes(r: Router, c: ContainerService): void {
  r.post("/containers/create", async (ctx) => {
    const body = parseCreate(await jsonBody<unknown>(ctx));
    sendJson(ctx, 201, await c.create(body, ctx.query.get("name") || undefined));
  });

  r.get("/containers/json", async (ctx) =>
    sendJson(
      ctx,
      200,
      await c.list({
        all: boolParam(ctx.query, "all"),
        limit: intParam(ctx.query, "limit"),
        size: boolParam(ctx.query, "size"),
        filters: parseFilters(ctx.query.get("filters")),
      }),
    ),
  );

  r.post("/containers/prune", async (ctx) =>
    sendJson(ctx, 200, await pruneContainers(c, parseFilters(ctx.query.get("filters")))),
  );

  r.get("/containers/{id}/json", async (ctx) =>
    sendJson(
      ctx,
      200,
      boolParam(ctx.query, "size") ? await c.inspectWithSize(ctx.params.id!) : c.inspect(ctx.params.id!),
    ),
  );

  const noContentOr304 = async (ctx: Ctx, fn: () => Promise<void>) => {
    try {
      await fn();
      sendStatus(ctx, 204);
    } catch (err) {
      if (isKind(err, "NotModified")) sendStatus(ctx, 304);
      else throw err;
    }
  };

  r.post("/containers/{id}/start", (ctx) => noContentOr304(ctx, () => c.start(ctx.params.id!)));
  r.post("/containers/{id}/stop", (ctx) =>
    noContentOr304(ctx, () =>
      c.stop(ctx.params.id!, intParam(ctx.query, "t"), ctx.query.get("signal") || undefined),
    ),
  );
  r.post("/containers/{id}/restart", (ctx) =>
    noContentOr304(ctx, () => c.restart(ctx.params.id!, intParam(ctx.query, "t"))),
  );
  r.post("/containers/{id}/kill", (ctx) =>
    noContentOr304(ctx, () => c.kill(ctx.params.id!, ctx.query.get("signal") || undefined)),
  );
  r.post("/containers/{id}/pause", (ctx) => noContentOr304(ctx, () => c.pause(ctx.params.id!)));
  r.post("/containers/{id}/unpause", (ctx) => noContentOr304(ctx, () => c.unpause(ctx.params.id!)));
  r.post("/containers/{id}/rename", (ctx) =>
    noContentOr304(ctx, () => c.rename(ctx.params.id!, ctx.query.get("name") ?? "")),
  );

  r.post("/containers/{id}/wait", async (ctx) => {
    const wait = c.wait(ctx.params.id!, ctx.query.get("condition") ?? "");
    // Errors known at once (no such container, bad condition) are plain HTTP errors.
    const early = await Promise.race([
      wait.then(() => "done"),
      new Promise((r) => setImmediate(() => r("pending"))),
    ]);
    if (early === "done") {
      sendJson(ctx, 200, await wait);
      return;
    }
    // Headers go out now: the docker CLI waits for them before starting the container.
    ctx.res.writeHead(200, { "Content-Type": "application/json" });
    ctx.res.flushHeaders();
    const result = await wait.catch((err: Error) => ({ StatusCode: -1, Error: { Message: err.message } }));
    ctx.res.end(JSON.stringify(result));
  });

  r.delete("/containers/{id}", async (ctx) => {
    await c.remove(ctx.params.id!, {
      force: boolParam(ctx.query, "force"),
      volumes: boolParam(ctx.query, "v"),
    });
    sendStatus(ctx, 204);
  });

  r.get("/containers/{id}/logs", async (ctx) => {
    const rec = c.d.store.resolve(ctx.params.id!);
    const stdout = boolParam(ctx.query, "stdout");
    const stderr = boolParam(ctx.query, "stderr");
    if (!stdout && !stderr) throw invalid("Bad parameters: you must choose at least one stream");
    c.checkLogsReadable(rec.id);
    // Docker reads tail with strconv.Atoi: "all", a negative number or a non-number means everything.
    const tailRaw = ctx.query.get("tail");
    const tailN = tailRaw && /^-?\d+$/.test(tailRaw) ? Number(tailRaw) : -1;
    const tail = tailN >= 0 ? tailN : undefined;
    const since = timeParam(ctx.query, "since");
    const until = timeParam(ctx.query, "until");
    ctx.res.writeHead(200, { "Content-Type": rawStream });
    const abort = new AbortController();
    ctx.res.on("close", () => abort.abort());
    await c.logs(
      rec.id,
      ctx.res,
      {
        stdout,
        stderr,
        follow: boolParam(ctx.query, "follow"),
        timestamps: boolParam(ctx.query, "timestamps"),
        details: boolParam(ctx.query, "details"),
        tail,
        since,
        until,
      },
      abort.signal,
    );
    ctx.res.end();
  });

  r.post("/containers/{id}/attach", async (ctx) => {
    const rec = c.d.store.resolve(ctx.params.id!);
    const q = ctx.query;
    await skipBody(ctx);
    await attachTo(c, rec.id, hijack(ctx, rawStream), q, false);
  });

  // Docker's websocket attach: the raw stream in binary messages, stdin from the client's messages.
  r.get("/containers/{id}/attach/ws", async (ctx) => {
    const rec = c.d.store.resolve(ctx.params.id!);
    if (!ctx.upgrade) throw invalid("a websocket upgrade is required");
    const { socket, head } = ctx.upgrade;
    (socket as { hijacked?: boolean }).hijacked = true;
    const ws = await new Promise<WebSocket>((resolve) =>
      wss.handleUpgrade(ctx.req, socket, head, (w) => resolve(w)),
    );
    const conn = createWebSocketStream(ws);
    conn.pause();
    socket.resume();
    await attachTo(c, rec.id, conn, ctx.query, true);
  });

  r.post("/containers/{id}/resize", async (ctx) => {
    await c.resize(ctx.params.id!, intParam(ctx.query, "w") ?? 80, intParam(ctx.query, "h") ?? 24);
    sendStatus(ctx, 200);
  });

  r.get("/containers/{id}/top", async (ctx) =>
    sendJson(ctx, 200, await c.top(ctx.params.id!, ctx.query.get("ps_args") ?? "")),
  );

  r.get("/containers/{id}/stats", async (ctx) => {
    const stream = boolParam(ctx.query, "stream", true);
    const oneShot = boolParam(ctx.query, "one-shot");
    if (!stream) {
      // A first sample gives the CLI a CPU delta to work with (Docker sends precpu from ~1 s before).
      const pre = oneShot ? undefined : await c.stats(ctx.params.id!);
      if (pre) await new Promise((r) => setTimeout(r, 500));
      sendJson(ctx, 200, await c.stats(ctx.params.id!, pre));
      return;
    }
    ctx.res.writeHead(200, { "Content-Type": "application/json" });
    let closed = false;
    ctx.res.on("close", () => {
      closed = true;
    });
    let pre: Awaited<ReturnType<ContainerService["stats"]>> | undefined;
    while (!closed) {
      const cur = await c.stats(ctx.params.id!, pre).catch(() => undefined);
      if (!cur) break;
      ctx.res.write(`${JSON.stringify(cur)}\n`);
      pre = cur;
      await new Promise((r) => setTimeout(r, 1000));
    }
    ctx.res.end();
  });

  r.post("/containers/{id}/update", async (ctx) => {
    const { RestartPolicy: rp, ...body } = await checkedBody(ctx, UpdateSchema, "update config");
    const restart = rp ? { Name: rp.Name ?? "", MaximumRetryCount: rp.MaximumRetryCount } : undefined;
    sendJson(
      ctx,
      200,
      await c.update(ctx.params.id!, { ...(body as Partial<HostConfig>), RestartPolicy: restart }),
    );
  });

  // exec
  r.post("/containers/{id}/exec", async (ctx) => {
    const body = await checkedBody(ctx, ExecCreateSchema, "exec config");
    sendJson(
      ctx,
      201,
      c.execs.create(ctx.params.id!, { ...body, Cmd: body.Cmd ?? [], Env: body.Env ?? undefined }),
    );
  });
  r.post("/exec/{id}/start", async (ctx) => {
    const body = await checkedBody(ctx, ExecStartSchema, "exec start config", true);
    c.execs.precheck(ctx.params.id!);
    if (body.Detach) {
      await c.execs.start(ctx.params.id!, undefined, true);
      sendStatus(ctx, 200);
      return;
    }
    const conn = hijack(ctx, rawStream);
    await c.execs.start(ctx.params.id!, conn, false);
  });
  r.post("/exec/{id}/resize", async (ctx) => {
    await c.execs.resize(ctx.params.id!, intParam(ctx.query, "w") ?? 80, intParam(ctx.query, "h") ?? 24);
    sendStatus(ctx, 200);
  });
  r.get("/exec/{id}/json", (ctx) => sendJson(ctx, 200, c.execs.inspect(ctx.params.id!)));
}

/**
 * Attach's query (stdin, stdout, stderr, detachKeys, logs, stream) on a hijacked
 * connection: the log replay first, then the live streams. `raw` skips Docker's
 * stream framing (websocket attach).
 */
async function attachTo(
  c: ContainerService,
  id: string,
  conn: Duplex,
  q: URLSearchParams,
  raw: boolean,
): Promise<void> {
  const o = {
    stdin: boolParam(q, "stdin"),
    stdout: boolParam(q, "stdout"),
    stderr: boolParam(q, "stderr"),
    detachKeys: q.get("detachKeys"),
    raw,
  };
  if (boolParam(q, "logs")) {
    const abort = new AbortController();
    const opts = { stdout: o.stdout, stderr: o.stderr, follow: false, timestamps: false };
    await c.logs(id, conn, opts, abort.signal, raw);
  }
  if (boolParam(q, "stream")) await c.attach(id, conn, o).catch(() => conn.end());
  else conn.end();
}
