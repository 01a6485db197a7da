import type { TAccessRevokedEvent, TDomainEvent } from "@autoglm/scheduler";
import { accessRevoked } from "@autoglm/scheduler";

export type { TAccessRevokedEvent, TDomainEvent };
export { accessRevoked };

/**
 * What the api publishes: the live-update doorbells (CONTRACT "Live updates") and
 * `access.revoked`, which makes the server close the connections a change took the right
 * from (S13: removal, demotion, deactivation, sign-out, token revocation).
 */
export type TPlatformEvent = TDomainEvent | TAccessRevokedEvent;

/** Where mutations ring the doorbell; apps/server forwards to Socket.IO. */
export interface TEventSink {
  publish(event: TPlatformEvent): void;
}

export const nullEvents: TEventSink = { publish() {} };

/** Collects events in memory (tests, scripts). */
export function createMemoryEvents(): TEventSink & { events: TPlatformEvent[] } {
  const events: TPlatformEvent[] = [];
  return { events, publish: (e) => void events.push(e) };
}
