import type { PublishEvent, TAccessRevokedEvent, TDomainEvent } from "@autoglm/protocol";
import { accessRevoked } from "@autoglm/scheduler";

export type { TAccessRevokedEvent, TDomainEvent };
export { accessRevoked };

/**
 * Where mutations ring the doorbell (CONTRACT "Live updates") and publish `access:revoked`,
 * which makes the server close the connections a change took the right from (S13: removal,
 * demotion, deactivation, sign-out, token revocation); apps/server forwards to Socket.IO.
 */
export interface TEventSink {
  publish: PublishEvent;
}

export const nullEvents: TEventSink = { publish() {} };

/** Collects events in memory (tests, scripts). */
export function createMemoryEvents(): TEventSink & { events: TDomainEvent[] } {
  const events: TDomainEvent[] = [];
  return { events, publish: (e) => void events.push(e) };
}
