import type { TDomainEvent } from "@autoglm/scheduler";

export type { TDomainEvent };

/** Where mutations ring the doorbell (CONTRACT "Live updates"); apps/server forwards to Socket.IO. */
export interface TEventSink {
  publish(event: TDomainEvent): void;
}

export const nullEvents: TEventSink = { publish() {} };

/** Collects events in memory (tests, scripts). */
export function createMemoryEvents(): TEventSink & { events: TDomainEvent[] } {
  const events: TDomainEvent[] = [];
  return { events, publish: (e) => void events.push(e) };
}
