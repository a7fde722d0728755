/**
 * The embedded DNS server of a user-defined network: answers A queries for
 * the names and aliases of containers on that network, on the network's
 * gateway address. Other names get NXDOMAIN for single-label names and are
 * forwarded to the host's resolvers otherwise.
 */
import { createSocket, type Socket } from "node:dgram";
import { readFileSync } from "node:fs";
import dnsPacket from "dns-packet";

export class NetworkDns {
  private socket?: Socket;

  constructor(
    private readonly address: string,
    /** Addresses of `name` as the client at `from` (its IPv4 address) sees them. */
    private readonly lookup: (name: string, from: string) => string[],
  ) {}

  start(): Promise<void> {
    return new Promise((resolve, reject) => {
      const s = createSocket("udp4");
      // A query that cannot be answered is dropped (the client retries), never the daemon.
      s.on("message", (msg, rinfo) => this.answer(s, msg, rinfo.address, rinfo.port).catch(() => {}));
      s.once("error", reject);
      s.bind(53, this.address, () => {
        s.off("error", reject);
        s.on("error", () => {}); // e.g. a reply to a client gone: nothing to do
        this.socket = s;
        resolve();
      });
    });
  }

  private async answer(s: Socket, msg: Buffer, addr: string, port: number): Promise<void> {
    let q: dnsPacket.Packet;
    try {
      q = dnsPacket.decode(msg);
    } catch {
      return;
    }
    const question = q.questions?.[0];
    if (!question) return;
    const name = question.name.replace(/\.$/, "");
    const ips = this.lookup(name.toLowerCase(), addr);
    if (ips.length || !name.includes(".")) {
      const reply = dnsPacket.encode({
        type: "response",
        id: q.id,
        flags: dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE | (ips.length ? 0 : 3),
        questions: [question],
        answers:
          question.type === "A"
            ? ips.map((ip) => ({ type: "A" as const, name: question.name, ttl: 600, data: ip }))
            : [],
      });
      s.send(reply, port, addr);
      return;
    }
    const upstream = hostResolvers()[0];
    if (!upstream) return;
    const fwd = createSocket("udp4");
    let open = true;
    const close = () => {
      if (open) fwd.close();
      open = false;
    };
    const timer = setTimeout(close, 3000);
    fwd.on("error", close);
    fwd.on("message", (r) => {
      clearTimeout(timer);
      s.send(r, port, addr);
      close();
    });
    fwd.send(msg, 53, upstream);
  }

  stop(): void {
    this.socket?.close();
  }
}

function hostResolvers(): string[] {
  try {
    return readFileSync("/etc/resolv.conf", "utf8")
      .split("\n")
      .map((l) => /^\s*nameserver\s+(\d+\.\d+\.\d+\.\d+)/.exec(l)?.[1])
      .filter((x): x is string => !!x && !x.startsWith("127."));
  } catch {
    return [];
  }
}
