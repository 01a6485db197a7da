import { createHmac } from "node:crypto";

/**
 * The secret a replica demands from its callers (`Authorization: Bearer …`): derived from the
 * server's key and the replica's id, so every server replica computes the same one and none is
 * stored (a database dump holds no way into a replica). 64 hex characters.
 */
export function replicaSecretOf(serverKey: string, replicaId: string): string {
  return createHmac("sha256", serverKey).update(`autoglm-replica:${replicaId}`).digest("hex");
}
