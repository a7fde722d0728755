/**
 * A registry endpoint (OCI distribution-spec / Docker registry v2) with
 * Docker's auth flows: anonymous, basic, and bearer tokens obtained from the
 * realm named in `WWW-Authenticate` (cached per scope). Plain HTTP for
 * localhost, 127.0.0.0/8 and configured insecure registries.
 */
import { Agent, fetch } from "undici";
const agent = new Agent({ connect: { timeout: 15_000 } });
export function isInsecure(host, insecure) {
    const h = host.replace(/:\d+$/, "");
    return (h === "localhost" ||
        h.startsWith("127.") ||
        h === "[::1]" ||
        insecure.includes(host) ||
        insecure.includes(h));
}
export class RegistryError extends Error {
    status;
    code;
    constructor(message, status, code) {
        super(message);
        this.status = status;
        this.code = code;
    }
}
export class Registry {
    host;
    creds;
    base;
    tokens = new Map();
    constructor(host, insecure, creds = {}) {
        this.host = host;
        this.creds = creds;
        const apiHost = host === "docker.io" ? "registry-1.docker.io" : host;
        this.base = `${isInsecure(host, insecure) ? "http" : "https"}://${apiHost}`;
    }
    basic() {
        if (!this.creds.username)
            return undefined;
        return `Basic ${Buffer.from(`${this.creds.username}:${this.creds.password ?? ""}`).toString("base64")}`;
    }
    async token(challenge, scope) {
        const params = Object.fromEntries([...challenge.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
        if (!params.realm)
            return undefined;
        const url = new URL(params.realm);
        if (params.service)
            url.searchParams.set("service", params.service);
        // A push that mounts from another repository asks for two scopes.
        for (const s of (params.scope ?? scope).split(" ").filter(Boolean))
            url.searchParams.append("scope", s);
        const headers = {};
        const b = this.basic();
        if (b)
            headers.authorization = b;
        const res = await fetch(url, { headers, dispatcher: agent });
        if (!res.ok)
            throw new RegistryError(`unauthorized: authentication required (token server said ${res.status})`, 401, "UNAUTHORIZED");
        const j = (await res.json());
        return j.token ?? j.access_token;
    }
    /** A request with auth retried once after a 401 challenge. */
    async request(path, init, okStatuses = []) {
        const url = path.startsWith("http") ? path : `${this.base}${path}`;
        const attempt = (auth) => fetch(url, {
            ...init,
            headers: { ...init.headers, ...(auth ? { authorization: auth } : {}) },
            dispatcher: agent,
            redirect: "follow",
        });
        let auth = this.tokens.get(init.scope);
        let res = await attempt(auth ? `Bearer ${auth}` : this.basic());
        if (res.status === 401) {
            const challenge = res.headers.get("www-authenticate") ?? "";
            await res.body?.cancel();
            if (/^bearer/i.test(challenge)) {
                auth = await this.token(challenge, init.scope);
                if (auth)
                    this.tokens.set(init.scope, auth);
                res = await attempt(auth ? `Bearer ${auth}` : undefined);
            }
            else if (/^basic/i.test(challenge) && this.basic()) {
                res = await attempt(this.basic());
            }
        }
        if (!res.ok && !okStatuses.includes(res.status)) {
            let msg = `${res.status} ${res.statusText}`;
            let code;
            try {
                const j = (await res.json());
                if (j.errors?.[0]) {
                    code = j.errors[0].code;
                    msg = `${j.errors[0].code.toLowerCase().replace(/_/g, " ")}: ${j.errors[0].message}`;
                }
            }
            catch {
                // no JSON body
            }
            throw new RegistryError(msg, res.status, code);
        }
        return res;
    }
}
//# sourceMappingURL=http.js.map