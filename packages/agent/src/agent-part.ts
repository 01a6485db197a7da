import type { TLeaseRef, TReplicaRef } from "@autoglm/protocol";

/**
 * One part of the agent, made by a function of the AgentCore that answers its own socket
 * events. startAgent keeps a list of them; each hook below is optional.
 */
export interface AgentPart {
  /** Leases this part holds, sent with agent:register and agent:heartbeat (R2). */
  heldLeases?(): TLeaseRef[];
  /**
   * The server answered that these leases (by id, out of the refs `sent`) are no longer ours:
   * end their work at once (R2).
   */
  dropStale?(staleIds: string[], sent: TLeaseRef[], via: string): void;
  /** Serving replicas this part runs, sent with agent:register and agent:heartbeat (their leases are renewed). */
  heldReplicas?(): TReplicaRef[];
  /** The server answered that these replicas (by id, out of the refs `sent`) are no longer ours: stop them at once. */
  dropStaleReplicas?(staleIds: string[], sent: TReplicaRef[], via: string): void;
  /** The server refused the agent's token: nothing of ours will be accepted any more. */
  onTokenRefused?(): void;
  /** Graceful shutdown (R10): hand the held work back; resolves with how many leases were handed back. */
  drain?(): Promise<number>;
  /** Last step of stop(): clear timers. */
  close?(): void;
}
