import { PROTOCOL_VERSION } from "@autoglm/protocol";
import type { AgentConnection } from "./connection.js";
import type { SlotTable } from "./slot-table.js";

/**
 * Doorbell (STYLE.md §9): capacity was freed (a process exited or a slot was released). The
 * server offers at once on agent:ready, and offers nothing more to an agent that declined a
 * lease until it hears it.
 */
export function announceFreeSlots(connection: AgentConnection, slots: SlotTable, isStopping: () => boolean): void {
  const busy = slots.busy();
  if (!isStopping() && connection.isReady() && busy < slots.maxTrials) {
    connection.socket.emit("agent:ready", { v: PROTOCOL_VERSION, freeSlots: Math.max(0, slots.maxTrials - busy) }, () => {});
  }
}

/**
 * R10: tell the server we are draining (freeSlots 0) before handing trials back, so it does
 * not offer them (or anything else) to us again while we finish. Waits for the ack, bounded.
 */
export async function announceDraining(connection: AgentConnection, ackTimeoutMs: number): Promise<void> {
  if (!connection.isReady()) return;
  await connection.socket
    .timeout(ackTimeoutMs)
    .emitWithAck("agent:ready", { v: PROTOCOL_VERSION, freeSlots: 0 })
    .catch(() => undefined);
}
