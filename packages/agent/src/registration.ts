import {
  DEFAULT_HEARTBEAT_MS,
  PROTOCOL_VERSION,
  ZHeartbeatAck,
  ZRegisterAck,
  type Logger,
  type TLeaseRef,
  type TReplicaRef,
} from "@autoglm/protocol";
import type { EventEmitter } from "node:events";
import type { AgentPart } from "./agent-part.js";
import type { AgentSettings } from "./agent-options.js";
import { sleep, type AgentConnection } from "./connection.js";
import { readGpuUse } from "./system.js";

/**
 * agent:register on every connect (retried with backoff until accepted), then agent:heartbeat
 * every H. Both carry the leases the parts hold, and the server's `stale` answer goes back to
 * them (R2).
 */
export class Registration {
  /** Resolves once the agent has registered the first time. */
  readonly registered: Promise<string>;
  private id: string | null = null;
  private periodMs: number;
  private heartbeatSeq = 0;
  private heartbeatTimer: NodeJS.Timeout | null = null;
  private resolveRegistered!: (id: string) => void;

  constructor(
    private readonly settings: AgentSettings,
    private readonly connection: AgentConnection,
    private readonly deps: { logger: Logger; events: EventEmitter; parts: readonly AgentPart[]; isStopping(): boolean },
  ) {
    this.periodMs = settings.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
    this.registered = new Promise<string>((r) => (this.resolveRegistered = r));
    connection.socket.on("connect", () => void this.register());
  }

  agentId(): string | null {
    return this.id;
  }

  /** The heartbeat period H: the option, else what the server's register ack said. */
  heartbeatMs(): number {
    return this.periodMs;
  }

  close(): void {
    if (this.heartbeatTimer) clearTimeout(this.heartbeatTimer);
  }

  private heldLeases(): TLeaseRef[] {
    return this.deps.parts.flatMap((p) => p.heldLeases?.() ?? []);
  }

  private heldReplicas(): TReplicaRef[] {
    return this.deps.parts.flatMap((p) => p.heldReplicas?.() ?? []);
  }

  private dropStale(ids: string[], sent: TLeaseRef[], via: string): void {
    for (const p of this.deps.parts) p.dropStale?.(ids, sent, via);
  }

  private dropStaleReplicas(ids: string[] | undefined, sent: TReplicaRef[], via: string): void {
    if (!ids?.length) return;
    for (const p of this.deps.parts) p.dropStaleReplicas?.(ids, sent, via);
  }

  private async register(): Promise<void> {
    this.connection.markUnregistered();
    let delay = 200;
    while (this.connection.socket.connected && !this.deps.isStopping()) {
      try {
        if (await this.tryRegister()) return;
      } catch {
        /* timeout: retry */
      }
      await sleep(delay);
      delay = Math.min(delay * 2, 5_000);
    }
  }

  private async tryRegister(): Promise<boolean> {
    const { settings: s, connection } = this;
    const sent = this.heldLeases();
    const replicas = this.heldReplicas();
    const ack = await connection.socket.timeout(s.ackTimeoutMs).emitWithAck("agent:register", {
      v: PROTOCOL_VERSION,
      name: s.name,
      host: s.machine.host,
      cpuCores: s.machine.cpuCores,
      memoryMb: s.machine.memoryMb,
      gpus: s.gpus,
      labels: s.labels,
      maxTrials: s.maxTrials,
      agentVersion: "0.1.0",
      running: sent,
      ...(replicas.length > 0 ? { replicas } : {}),
    });
    const parsed = ZRegisterAck.safeParse(ack);
    if (!parsed.success || !parsed.data.ok) {
      this.deps.logger.warn("registration refused", {
        error: parsed.success && !parsed.data.ok ? parsed.data.error : "malformed ack",
      });
      return false;
    }
    const agentId = parsed.data.agentId;
    this.id = agentId;
    this.periodMs = s.heartbeatMs ?? parsed.data.heartbeatMs;
    connection.markRegistered();
    this.dropStale(parsed.data.stale, sent, "register");
    this.dropStaleReplicas(parsed.data.staleReplicas, replicas, "register");
    this.resolveRegistered(agentId);
    // `agentName`: a line's `name` is the process (agent, server).
    this.deps.logger.info("registered", { agentId, agentName: s.name, gpus: s.gpus.length, maxTrials: s.maxTrials });
    this.deps.events.emit("registered", agentId);
    this.scheduleHeartbeat();
    return true;
  }

  private scheduleHeartbeat(): void {
    if (this.heartbeatTimer) clearTimeout(this.heartbeatTimer);
    this.heartbeatTimer = setTimeout(async () => {
      this.heartbeatTimer = null;
      if (!this.connection.isReady()) return;
      try {
        await this.heartbeat();
      } catch {
        /* a missed heartbeat; the lease TTL allows for two */
      }
      if (this.connection.isReady()) this.scheduleHeartbeat();
    }, this.periodMs);
  }

  private async heartbeat(): Promise<void> {
    const s = this.settings;
    const sent = this.heldLeases();
    const replicas = this.heldReplicas();
    // Only real GPUs are asked about (offered ones in tests have no nvidia-smi behind them).
    const gpuUse = s.gpus.length > 0 && !s.gpusOffered ? await readGpuUse(s.nvidiaSmi) : [];
    const ack = await this.connection.socket.timeout(Math.min(s.ackTimeoutMs, this.periodMs * 2)).emitWithAck("agent:heartbeat", {
      v: PROTOCOL_VERSION,
      seq: this.heartbeatSeq++,
      running: sent,
      ...(gpuUse.length > 0 ? { gpuUse } : {}),
      ...(replicas.length > 0 ? { replicas } : {}),
    });
    const parsed = ZHeartbeatAck.safeParse(ack);
    if (!parsed.success || !parsed.data.ok) return;
    this.dropStale(parsed.data.stale, sent, "heartbeat");
    this.dropStaleReplicas(parsed.data.staleReplicas, replicas, "heartbeat");
  }
}
