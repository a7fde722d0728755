/**
 * A registry endpoint (OCI distribution-spec / Docker registry v2) with
 * Docker's auth flows: anonymous, basic, and bearer tokens obtained from the
 * realm named in `WWW-Authenticate` (cached per scope). Plain HTTP for
 * localhost, 127.0.0.0/8 and configured insecure registries.
 */
import { Agent, fetch, type RequestInit, type Response } from "undici";
import { BerthError } from "../../util/errors.js";

export interface Credentials {
  username?: string;
  password?: string;
  identitytoken?: string;
  registrytoken?: string;
}

const agent = new Agent({ connect: { timeout: 15_000 } });

export function isInsecure(host: string, insecure: string[]): boolean {
  const h = host.replace(/:\d+$/, "");
  return (
    h === "localhost" ||
    h.startsWith("127.") ||
    h === "[::1]" ||
    insecure.includes(host) ||
    insecure.includes(h)
  );
}

/**
 * An error answer from a remote registry (distribution spec error body or
 * bare status): `status` is the HTTP status, `code` the spec's error code.
 * (The registry server's own errors are server/errors.ts's DistributionError.)
 */
export class RegistryResponseError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly code?: string,
  ) {
    super(message);
    this.name = "RegistryResponseError";
  }
}

/** The innermost reason undici gives for a failed fetch ("getaddrinfo ENOTFOUND host", "connect ECONNREFUSED ..."). */
function reason(err: unknown): string {
  let c: unknown = err;
  while (c instanceof Error && c.cause !== undefined) c = c.cause;
  if (c instanceof AggregateError && c.errors.length) c = c.errors[0];
  return c instanceof Error ? c.message : String(c);
}

/**
 * A registry that could not be reached at all (DNS, refused, reset, TLS):
 * the message names the URL and the cause, as Go's `Get "https://host/v2/":
 * dial tcp: ...` does in Docker's answer; `cause` keeps undici's error.
 */
export class RegistryUnreachableError extends BerthError {
  constructor(
    readonly method: string,
    readonly url: string,
    cause: unknown,
  ) {
    const op = method.charAt(0).toUpperCase() + method.slice(1).toLowerCase();
    super("Unavailable", `${op} "${url}": ${reason(cause)}`, { cause });
    this.name = "RegistryUnreachableError";
  }
}

/** fetch() whose network failures become RegistryUnreachableError. */
async function fetchOrExplain(url: string | URL, init: RequestInit): Promise<Response> {
  try {
    return await fetch(url, init);
  } catch (err) {
    if (err instanceof TypeError) throw new RegistryUnreachableError(init?.method ?? "GET", String(url), err);
    throw err;
  }
}

export class Registry {
  readonly base: string;
  private tokens = new Map<string, string>();

  /**
   * `signal`: every request of this registry (token fetches too) is made
   * with it, so aborting it (the client of a pull or push went away) ends
   * the transfers at once: undici closes their connections, and a body
   * being read or sent fails with an AbortError.
   */
  constructor(
    readonly host: string,
    insecure: string[],
    private readonly creds: Credentials = {},
    readonly signal?: AbortSignal,
  ) {
    const apiHost = host === "docker.io" ? "registry-1.docker.io" : host;
    this.base = `${isInsecure(host, insecure) ? "http" : "https"}://${apiHost}`;
  }

  private basic(): string | undefined {
    if (!this.creds.username) return undefined;
    return `Basic ${Buffer.from(`${this.creds.username}:${this.creds.password ?? ""}`).toString("base64")}`;
  }

  private async token(challenge: string, scope: string): Promise<string | undefined> {
    const params = Object.fromEntries([...challenge.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1]!, m[2]!]));
    if (!params.realm) return undefined;
    const url = new URL(params.realm);
    if (params.service) url.searchParams.set("service", params.service);
    // A push that mounts from another repository asks for two scopes.
    for (const s of (params.scope ?? scope).split(" ").filter(Boolean)) url.searchParams.append("scope", s);
    const headers: Record<string, string> = {};
    const b = this.basic();
    if (b) headers.authorization = b;
    const res = await fetchOrExplain(url, { headers, dispatcher: agent, signal: this.signal });
    if (!res.ok)
      throw new RegistryResponseError(
        `unauthorized: authentication required (token server said ${res.status})`,
        401,
        "UNAUTHORIZED",
      );
    const j = (await res.json()) as { token?: string; access_token?: string };
    return j.token ?? j.access_token;
  }

  /** A request with auth retried once after a 401 challenge. */
  async request(
    path: string,
    init: RequestInit & { scope: string },
    okStatuses: number[] = [],
  ): Promise<Response> {
    const url = path.startsWith("http") ? path : `${this.base}${path}`;
    const attempt = (auth?: string) =>
      fetchOrExplain(url, {
        ...init,
        headers: { ...(init.headers as Record<string, string>), ...(auth ? { authorization: auth } : {}) },
        dispatcher: agent,
        redirect: "follow",
        signal: this.signal,
      });
    let auth = this.tokens.get(init.scope);
    let res = await attempt(auth ? `Bearer ${auth}` : this.basic());
    if (res.status === 401) {
      const challenge = res.headers.get("www-authenticate") ?? "";
      await res.body?.cancel();
      if (/^bearer/i.test(challenge)) {
        auth = await this.token(challenge, init.scope);
        if (auth) this.tokens.set(init.scope, auth);
        res = await attempt(auth ? `Bearer ${auth}` : undefined);
      } else if (/^basic/i.test(challenge) && this.basic()) {
        res = await attempt(this.basic());
      }
    }
    if (!res.ok && !okStatuses.includes(res.status)) {
      let msg = `${res.status} ${res.statusText}`;
      let code: string | undefined;
      try {
        const j = (await res.json()) as { errors?: { code: string; message: string }[] };
        if (j.errors?.[0]) {
          code = j.errors[0].code;
          msg = `${j.errors[0].code.toLowerCase().replace(/_/g, " ")}: ${j.errors[0].message}`;
        }
      } catch {
        // no JSON body
      }
      throw new RegistryResponseError(msg, res.status, code);
    }
    return res;
  }
}
