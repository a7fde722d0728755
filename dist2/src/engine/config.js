export function defaultConfig() {
    return {
        root: "/var/lib/berth",
        execRoot: "/run/berth",
        hosts: [],
        logLevel: "info",
        runtimes: { runc: "/usr/sbin/runc", crun: "/usr/bin/crun" },
        defaultRuntime: "runc",
        conmon: "/usr/bin/conmon",
        insecureRegistries: [],
        registryMirrors: [],
        bridge: "berth0",
        subnetPool: ["10.88.0.0/16", "10.89.0.0/16", "10.90.0.0/16", "10.91.0.0/16", "172.30.0.0/16"],
        networkPrefix: "berth",
        init: "/usr/bin/tini-static",
    };
}
/** daemon.json keys use Docker's names where Docker has one. */
export function mergeFileConfig(cfg, file) {
    const out = { ...cfg };
    const str = (k) => (typeof file[k] === "string" ? file[k] : undefined);
    const strs = (k) => (Array.isArray(file[k]) ? file[k] : undefined);
    out.root = str("data-root") ?? str("root") ?? out.root;
    out.execRoot = str("exec-root") ?? out.execRoot;
    out.hosts = strs("hosts") ?? out.hosts;
    out.logLevel = str("log-level") ?? out.logLevel;
    out.defaultRuntime = str("default-runtime") ?? out.defaultRuntime;
    const runtimes = file.runtimes;
    if (runtimes)
        for (const [k, v] of Object.entries(runtimes))
            if (v.path)
                out.runtimes[k] = v.path;
    out.conmon = str("conmon") ?? out.conmon;
    out.insecureRegistries = strs("insecure-registries") ?? out.insecureRegistries;
    out.registryMirrors = strs("registry-mirrors") ?? out.registryMirrors;
    out.bridge = str("bridge") ?? out.bridge;
    out.networkPrefix = str("network-prefix") ?? out.networkPrefix;
    const pools = file["default-address-pools"];
    if (pools)
        out.subnetPool = pools.map((p) => p.base);
    out.usernsRemap = str("userns-remap") ?? out.usernsRemap;
    out.seccompProfile = str("seccomp-profile") ?? out.seccompProfile;
    const reg = file["registry-server"];
    if (typeof reg?.addr === "string") {
        const opt = (k) => (typeof reg[k] === "string" ? reg[k] : undefined);
        out.registryServer = {
            addr: reg.addr,
            root: opt("root"),
            htpasswd: opt("htpasswd"),
            tokenAuth: reg["token-auth"] === true,
            tlsCert: opt("tls-cert"),
            tlsKey: opt("tls-key"),
        };
    }
    if (file.tlsverify || file.tls) {
        out.tls = {
            verify: Boolean(file.tlsverify),
            ca: str("tlscacert"),
            cert: str("tlscert"),
            key: str("tlskey"),
        };
    }
    return out;
}
//# sourceMappingURL=config.js.map