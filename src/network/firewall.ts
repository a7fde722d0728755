/**
 * berth's nftables table (one per daemon, named by its network prefix, so
 * tests and other engines never share rules): NAT for outbound traffic,
 * DNAT for published ports (also from the host itself, via the output hook
 * and route_localnet), isolation between networks, and the host's loopback
 * kept from containers (see docs/SECURITY.md). Rules are kernel
 * state: published ports keep working while berthd is down. Each
 * container's rules carry its ID as a comment, which is how they are found
 * and deleted.
 */
import { run } from "./exec.js";

export class Firewall {
  /**
   * Containers that have port rules in the table (read at init, kept since): the table is
   * this daemon's alone, so removing a container without ports needs no `nft` listing.
   */
  private withRules?: Set<string>;

  constructor(private readonly table: string) {}

  async init(): Promise<void> {
    const t = this.table;
    await run(
      "nft",
      ["-f", "-"],
      [
        `table ip ${t} {`,
        // Every bridge of this daemon, whatever its name (com.docker.network.bridge.name).
        "  set bridges { type ifname; }",
        "  chain prerouting { type nat hook prerouting priority dstnat; policy accept; }",
        "  chain output { type nat hook output priority -100; policy accept; }",
        "  chain postrouting { type nat hook postrouting priority srcnat; policy accept; }",
        "  chain forward { type filter hook forward priority filter; policy accept; }",
        "  chain input { type filter hook input priority filter; policy accept; }",
        "}",
      ].join("\n"),
    );
    await run("sysctl", ["-q", "-w", "net.ipv4.ip_forward=1"]);
    this.withRules = await this.containersWithRules();
  }

  /**
   * Outbound NAT and isolation for a bridge network. `masquerade` false is
   * Docker's `com.docker.network.bridge.enable_ip_masquerade=false`.
   */
  async addNetwork(
    bridge: string,
    subnet: string,
    internal: boolean,
    o: { masquerade?: boolean } = {},
  ): Promise<void> {
    await this.removeTagged(`net:${bridge}`);
    const t = this.table;
    const tag = `comment "net:${bridge}"`;
    const rules = [
      // The host's loopback is the host's (CVE-2020-8558): a packet from a container
      // addressed to 127.0.0.0/8 (route_localnet would deliver it) is dropped, unless it
      // belongs to a connection the host made to a published port (DNAT by the output hook).
      `add rule ip ${t} input iifname "${bridge}" ip daddr 127.0.0.0/8 ct status & dnat == 0 drop ${tag}`,
      // Connections from the host's loopback to a published port leave through the bridge.
      `add rule ip ${t} postrouting ip saddr 127.0.0.0/8 oifname "${bridge}" masquerade ${tag}`,
      // Isolation: another network's bridge cannot reach this one.
      `add element ip ${t} bridges { "${bridge}" }`,
      `add rule ip ${t} forward oifname "${bridge}" iifname != "${bridge}" iifname @bridges drop ${tag}`,
    ];
    if (o.masquerade !== false)
      rules.push(`add rule ip ${t} postrouting ip saddr ${subnet} oifname != "${bridge}" masquerade ${tag}`);
    if (internal)
      rules.push(`add rule ip ${t} forward iifname "${bridge}" oifname != "${bridge}" drop ${tag}`);
    await run("nft", ["-f", "-"], rules.join("\n"));
  }

  async removeNetwork(bridge: string): Promise<void> {
    await this.removeTagged(`net:${bridge}`);
    await run("nft", ["delete", "element", "ip", this.table, "bridges", `{ "${bridge}" }`]).catch(() => {});
  }

  async publish(
    id: string,
    rules: { hostIp: string; hostPort: number; ip: string; port: number; proto: "tcp" | "udp" }[],
  ): Promise<void> {
    const t = this.table;
    const lines: string[] = [];
    for (const r of rules) {
      const match =
        r.hostIp === "0.0.0.0" || r.hostIp === "" ? "fib daddr type local" : `ip daddr ${r.hostIp}`;
      const body = `${match} ${r.proto} dport ${r.hostPort} dnat to ${r.ip}:${r.port} comment "ctr:${id}"`;
      lines.push(`add rule ip ${t} prerouting ${body}`, `add rule ip ${t} output ${body}`);
    }
    if (!lines.length) return;
    this.withRules?.add(id);
    await run("nft", ["-f", "-"], lines.join("\n"));
  }

  async unpublish(id: string): Promise<void> {
    if (this.withRules && !this.withRules.has(id)) return;
    await this.removeTagged(`ctr:${id}`);
    this.withRules?.delete(id);
  }

  /** Deletes every rule whose comment is `tag` (found by handle). */
  private async removeTagged(tag: string): Promise<void> {
    let listing: string;
    try {
      listing = await run("nft", ["-a", "list", "table", "ip", this.table]);
    } catch {
      return;
    }
    let chain = "";
    const dels: string[] = [];
    for (const line of listing.split("\n")) {
      const c = /^\s*chain (\S+) \{/.exec(line);
      if (c) chain = c[1]!;
      const h = /comment "([^"]+)" # handle (\d+)/.exec(line);
      if (h && h[1] === tag) dels.push(`delete rule ip ${this.table} ${chain} handle ${h[2]}`);
    }
    if (dels.length) await run("nft", ["-f", "-"], dels.join("\n"));
  }

  /** Every container ID that still has port rules (for reconciling after a crash). */
  async containersWithRules(): Promise<Set<string>> {
    const out = new Set<string>();
    const listing = await run("nft", ["list", "table", "ip", this.table]).catch(() => "");
    for (const m of listing.matchAll(/comment "ctr:([a-f0-9]{64})"/g)) out.add(m[1]!);
    return out;
  }

  async destroy(): Promise<void> {
    await run("nft", ["delete", "table", "ip", this.table]).catch(() => {});
  }
}
