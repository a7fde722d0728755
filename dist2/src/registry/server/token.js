/**
 * Token auth, as Docker Hub and distribution's token server do it: a request without a
 * good bearer token gets 401 with `WWW-Authenticate: Bearer realm=…,service=…,scope=…`;
 * the client asks the realm (`GET /token?service=…&scope=…`) with Basic credentials from
 * the htpasswd file and gets a short-lived token granting those scopes; it then retries.
 * Tokens are HS256 JWTs signed with a key made at start, so they end with the server.
 * Every user in the htpasswd file may pull, push and delete anywhere; there is no per-repo ACL.
 */
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
export const SERVICE = "berth-registry";
const LIFETIME_S = 300;
const b64 = (v) => Buffer.from(v).toString("base64url");
/** "repository:team/app:pull,push" -> Access; undefined when malformed. */
export function parseScope(scope) {
    const last = scope.lastIndexOf(":");
    const first = scope.indexOf(":");
    if (first <= 0 || last === first)
        return undefined;
    return {
        type: scope.slice(0, first),
        name: scope.slice(first + 1, last),
        actions: scope
            .slice(last + 1)
            .split(",")
            .filter(Boolean),
    };
}
export class TokenAuth {
    users;
    key = randomBytes(32);
    constructor(users) {
        this.users = users;
    }
    /** The realm's answer: a token for what was asked, or undefined for bad credentials. */
    async issue(authorization, scopes) {
        const user = await this.users.user(authorization);
        if (!user)
            return undefined;
        const iat = Math.floor(Date.now() / 1000);
        const access = scopes.map(parseScope).filter((a) => !!a);
        const claims = { iss: SERVICE, sub: user, aud: SERVICE, iat, exp: iat + LIFETIME_S, access };
        const token = this.sign(claims);
        return {
            token,
            access_token: token,
            expires_in: LIFETIME_S,
            issued_at: new Date(iat * 1000).toISOString(),
        };
    }
    /** Whether the request's bearer token is valid and grants `need` (any valid token when none). */
    allows(authorization, need) {
        const m = /^Bearer\s+(\S+)$/i.exec(authorization ?? "");
        const claims = m ? this.verify(m[1]) : undefined;
        if (!claims)
            return false;
        if (!need)
            return true;
        return claims.access.some((a) => a.type === need.type &&
            a.name === need.name &&
            (a.actions.includes(need.action) || a.actions.includes("*")));
    }
    /** The 401 challenge pointing at this server's /token, for the scope a request needed. */
    challenge(req, scope, insufficient = false) {
        const proto = req.socket.encrypted ? "https" : "http";
        const realm = `${proto}://${req.headers.host ?? "localhost"}/token`;
        return (`Bearer realm="${realm}",service="${SERVICE}"` +
            (scope ? `,scope="${scope}"` : "") +
            (insufficient ? ',error="insufficient_scope"' : ""));
    }
    sign(claims) {
        const body = `${b64(JSON.stringify({ alg: "HS256", typ: "JWT" }))}.${b64(JSON.stringify(claims))}`;
        return `${body}.${b64(createHmac("sha256", this.key).update(body).digest())}`;
    }
    verify(token) {
        const parts = token.split(".");
        if (parts.length !== 3)
            return undefined;
        const want = createHmac("sha256", this.key).update(`${parts[0]}.${parts[1]}`).digest();
        const got = Buffer.from(parts[2], "base64url");
        if (got.length !== want.length || !timingSafeEqual(got, want))
            return undefined;
        try {
            const claims = JSON.parse(Buffer.from(parts[1], "base64url").toString("utf8"));
            return claims.aud === SERVICE && claims.exp > Date.now() / 1000 ? claims : undefined;
        }
        catch {
            return undefined;
        }
    }
}
//# sourceMappingURL=token.js.map