import net from "node:net";

/**
 * A TCP proxy between an agent and the server that can cut the network (R3, R8).
 *
 *  - `close`: every connection is reset on both sides (RST, like a killed proxy or a
 *    rebooted NAT: Determined's `kill_proxy`) and new connections are reset at once until
 *    the network is back.
 *  - `blackhole`: nothing passes either way and nobody is told (half-open: pg-boss's
 *    `halfOpenProxy`). Bytes, FINs and RSTs are held, as a lossy link holds them in TCP
 *    retransmission, and delivered in order when the network is back; new connections are
 *    accepted but carry nothing until then. Only application timeouts (Socket.IO's ping)
 *    can notice.
 */
export type DropMode = "close" | "blackhole";

type Held = Buffer | "end" | "destroy";

interface Leg {
  from: net.Socket;
  to: net.Socket;
  held: Held[];
  /** `from` sent a FIN: its later close is an orderly one, passed on as FIN, not RST. */
  ended: boolean;
}

interface Pair {
  client: net.Socket;
  upstream: net.Socket;
  legs: [Leg, Leg];
}

export class TcpProxy {
  private server: net.Server | null = null;
  private readonly pairs = new Set<Pair>();
  private state: "up" | DropMode = "up";
  private port = 0;
  /** Connections accepted, reset by a `close` drop, and refused while down. */
  readonly stats = { accepted: 0, reset: 0, refused: 0, drops: 0 };

  constructor(private readonly target: { host: string; port: number }) {}

  static forUrl(url: string): TcpProxy {
    const u = new URL(url);
    return new TcpProxy({ host: u.hostname, port: Number(u.port) });
  }

  async listen(): Promise<string> {
    const server = net.createServer((c) => this.accept(c));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    this.server = server;
    this.port = (server.address() as net.AddressInfo).port;
    return this.url;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get isUp(): boolean {
    return this.state === "up";
  }

  /** Cuts the network now; `restore()` brings it back. */
  cut(mode: DropMode): void {
    if (this.state !== "up") return;
    this.stats.drops++;
    this.state = mode;
    if (mode === "close") {
      for (const p of this.pairs) {
        this.stats.reset++;
        this.kill(p);
      }
    }
  }

  restore(): void {
    if (this.state === "up") return;
    this.state = "up";
    // Deliver what the blackhole held, in order, then any FIN or RST it held back.
    for (const p of [...this.pairs]) for (const leg of p.legs) this.flush(p, leg);
  }

  /** Cuts the network for `ms` (0: cut and restore at once), resolving when it is back. */
  async drop(mode: DropMode, ms: number): Promise<void> {
    this.cut(mode);
    if (ms > 0) await new Promise((r) => setTimeout(r, ms));
    else await new Promise((r) => setImmediate(r));
    this.restore();
  }

  async close(): Promise<void> {
    for (const p of this.pairs) this.kill(p);
    this.pairs.clear();
    const server = this.server;
    this.server = null;
    if (server) await new Promise<void>((r) => server.close(() => r()));
  }

  private accept(client: net.Socket): void {
    client.on("error", () => {});
    if (this.state === "close" || !this.server) {
      this.stats.refused++;
      client.resetAndDestroy();
      return;
    }
    this.stats.accepted++;
    const upstream = net.connect(this.target.port, this.target.host);
    upstream.on("error", () => {});
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    const pair: Pair = {
      client,
      upstream,
      legs: [
        { from: client, to: upstream, held: [], ended: false },
        { from: upstream, to: client, held: [], ended: false },
      ],
    };
    this.pairs.add(pair);
    for (const leg of pair.legs) {
      leg.from.on("data", (chunk: Buffer) => this.pass(pair, leg, chunk));
      leg.from.on("end", () => this.pass(pair, leg, "end"));
      leg.from.on("close", () => this.pass(pair, leg, "destroy"));
    }
  }

  private pass(pair: Pair, leg: Leg, item: Held): void {
    leg.held.push(item);
    if (this.state === "up") this.flush(pair, leg);
  }

  private flush(pair: Pair, leg: Leg): void {
    while (leg.held.length > 0) {
      const item = leg.held.shift()!;
      if (item === "end") {
        leg.ended = true;
        if (!leg.to.destroyed) leg.to.end();
      } else if (item === "destroy") {
        leg.held.length = 0;
        // An orderly close was already passed on as FIN; an abort (RST, error) is passed on as RST.
        if (!leg.ended) this.kill(pair);
        else if (leg.to.destroyed) this.pairs.delete(pair);
        return;
      } else if (!leg.to.destroyed && leg.to.writable) {
        leg.to.write(item);
      }
    }
  }

  private kill(p: Pair): void {
    this.pairs.delete(p);
    for (const s of [p.client, p.upstream]) {
      if (s.destroyed) continue;
      // RST where the socket is connected; a plain destroy while it is still connecting.
      try {
        s.resetAndDestroy();
      } catch {
        s.destroy();
      }
    }
  }
}
