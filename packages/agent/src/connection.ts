import { EventEmitter } from "node:events";
import { io, type Socket } from "socket.io-client";
import { AGENT_NAMESPACE, type AgentToServerEvents, type Logger, type ServerToAgentEvents } from "@autoglm/protocol";
import type { AgentSettings } from "./agent-options.js";

export type AgentSocket = Socket<ServerToAgentEvents, AgentToServerEvents>;

/**
 * Events whose sends are retried until acknowledged (they carry idempotency keys: R7; a
 * replica's ready and ended are fenced by its lease token, so a replay changes nothing).
 */
export type ReliableEvent = "trial:metric" | "trial:complete" | "replica:ready" | "replica:ended";

export interface ConnectionHooks {
  logger: Logger;
  /** The agent's public events: "disconnect" is emitted here. */
  events: EventEmitter;
  isStopping(): boolean;
  /** The server refused the agent's token (revoked or expired). */
  onTokenRefused(): void;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The Socket.IO client to the server's /agents namespace: reconnects forever, knows whether
 * the agent is registered on the current connection, and sends with acks.
 */
export class AgentConnection {
  readonly socket: AgentSocket;
  private registered = false;
  private connectErrors = 0;
  /** Wakes sends waiting for a registered connection. */
  private readonly ready = new EventEmitter();

  constructor(
    private readonly settings: AgentSettings,
    private readonly hooks: ConnectionHooks,
  ) {
    this.socket = io(settings.server.replace(/\/+$/, "") + AGENT_NAMESPACE, {
      transports: ["websocket"],
      auth: { token: settings.token },
      reconnection: true,
      reconnectionAttempts: Infinity,
      reconnectionDelay: settings.reconnectDelayMs,
      reconnectionDelayMax: settings.reconnectDelayMaxMs,
      randomizationFactor: 0.5,
      timeout: 10_000,
    });
    this.socket.on("connect", () => {
      this.connectErrors = 0;
      hooks.logger.info("connected", { server: settings.server });
    });
    this.socket.on("disconnect", (reason) => this.onDisconnect(reason));
    this.socket.on("connect_error", (err) => this.onConnectError(err));
  }

  /** Connected, and registered on this connection. */
  isReady(): boolean {
    return this.socket.connected && this.registered;
  }

  markRegistered(): void {
    this.registered = true;
    this.ready.emit("ready");
  }

  markUnregistered(): void {
    this.registered = false;
  }

  /** Drops the connection and connects again at once, so that the agent registers afresh. */
  reconnectNow(): void {
    this.registered = false;
    this.socket.disconnect();
    this.socket.connect();
  }

  close(): void {
    this.socket.disconnect();
  }

  /**
   * emitWithAck with a timeout, retried until the server answers: Socket.IO acks are
   * at-most-once, so a lost ack is a resend, and the server's idempotency keys make the
   * resend harmless (R7). Gives up only when the agent is gone.
   */
  async sendReliable(event: ReliableEvent, payload: Record<string, unknown>): Promise<unknown> {
    let delay = 200;
    for (;;) {
      await this.waitReady();
      try {
        const ack = (await (this.socket.timeout(this.settings.ackTimeoutMs) as unknown as Socket).emitWithAck(
          event,
          payload,
        )) as {
          ok: boolean;
          error?: { code: string };
        };
        if (!(ack && ack.ok === false && (ack.error?.code === "INTERNAL" || ack.error?.code === "NOT_REGISTERED"))) return ack;
      } catch {
        /* no ack within the timeout: send again */
      }
      await sleep(delay);
      delay = Math.min(delay * 2, 5_000);
    }
  }

  private waitReady(): Promise<void> {
    if (this.isReady()) return Promise.resolve();
    return new Promise((resolve) => {
      const check = () => {
        if (this.isReady()) {
          this.ready.off("ready", check);
          resolve();
        }
      };
      this.ready.on("ready", check);
    });
  }

  private onDisconnect(reason: string): void {
    this.registered = false;
    this.hooks.events.emit("disconnect", reason);
    this.hooks.logger.warn("disconnected", { reason });
    // The server closed the connection on purpose (restart): reconnect ourselves.
    if (reason === "io server disconnect" && !this.hooks.isStopping()) setTimeout(() => this.socket.connect(), 500);
  }

  private onConnectError(err: Error): void {
    this.connectErrors++;
    // The token was revoked or expired: no result of ours will be accepted any more.
    if (err.message === "unauthorized") this.hooks.onTokenRefused();
    if (this.connectErrors === 1 || this.connectErrors % 20 === 0)
      this.hooks.logger.warn("cannot connect", { error: err.message, tries: this.connectErrors });
    // A middleware refusal (token check failed, database down) stops Socket.IO's own retries;
    // an agent reconnects forever, with backoff.
    if (!this.socket.active && !this.hooks.isStopping()) {
      // "unavailable" is the server's own trouble (its database is down, R5), not ours: retry
      // at the normal reconnect pace: a 30 s cap would bring an agent whose connection dropped
      // during a database outage back up to 30 s after the database did, long after its
      // leases (T = 15 s) had lapsed. A refused token ("unauthorized") still backs off to 30 s.
      const cap = err.message === "unavailable" ? this.settings.reconnectDelayMaxMs : 30_000;
      const wait = Math.min(cap, 1_000 * 2 ** Math.min(5, this.connectErrors));
      setTimeout(() => {
        if (!this.hooks.isStopping() && !this.socket.connected) this.socket.connect();
      }, wait);
    }
  }
}
