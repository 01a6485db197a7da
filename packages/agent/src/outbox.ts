import type { Logger } from "@autoglm/protocol";
import type { AgentConnection, ReliableEvent } from "./connection.js";

/**
 * One attempt's reports (metric batches, then its completion), sent one at a time in the
 * order they were written. A send waits out a disconnect and is retried until acknowledged
 * (AgentConnection.sendReliable), so the server sees them in order even across reconnects;
 * its `seq` idempotency keys make a resend harmless (R7).
 */
export class Outbox {
  private tail: Promise<void> = Promise.resolve();
  private isClosed = false;

  constructor(
    private readonly connection: AgentConnection,
    private readonly logger: Logger,
  ) {}

  /** Nothing more is sent: reports still queued are dropped. */
  get closed(): boolean {
    return this.isClosed;
  }

  send(event: ReliableEvent, payload: Record<string, unknown>, onAck: (ack: unknown) => void): void {
    this.tail = this.tail
      .then(async () => {
        if (this.isClosed) return;
        onAck(await this.connection.sendReliable(event, payload));
      })
      .catch((err) => this.logger.error("send failed", { event, error: String(err) }));
  }

  close(): void {
    this.isClosed = true;
  }
}
