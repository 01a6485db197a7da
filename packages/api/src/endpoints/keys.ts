import { z } from "zod";
import { INFER_SCOPE, insertToken, writeAudit, type DbOrTx, type TEndpointRow } from "@autoglm/db/queries";
import { generateApiToken } from "@autoglm/protocol/api-token";
import { iso, zText } from "../procedures/shared.js";
import type { TCaller } from "./changes.js";

export const ZKeyOptions = z
  .object({
    /** A label for the key (default `key`). */
    keyName: zText(100, 1).optional(),
    /** Default 90, at most 365 (S3's bound): a service's key outlives a person's session. */
    expiresInDays: z.number().int("must be a whole number of days").min(1).max(365, "must be at most 365").optional(),
  })
  .strict();

export const ZEndpointKey = z.object({
  id: z.string(),
  /** `agl_…`: shown this once; only its sha256 is stored. */
  key: z.string(),
  prefix: z.string(),
  expiresAt: z.string(),
});
export type TEndpointKey = z.infer<typeof ZEndpointKey>;

/**
 * A key that opens only this endpoint (scope `infer`, `endpoint_id` set), owned by the caller:
 * it stops working when they leave the team, as their tokens do. Audited without the secret.
 */
export async function createEndpointKeyInTx(
  tx: DbOrTx,
  caller: TCaller,
  input: { endpoint: TEndpointRow; keyName?: string | undefined; expiresInDays?: number | undefined; now: Date },
): Promise<TEndpointKey> {
  const { token, prefix, hash } = generateApiToken();
  const expiresAt = new Date(input.now.getTime() + (input.expiresInDays ?? 90) * 24 * 3600_000);
  const row = await insertToken(tx, caller.scope, {
    userId: caller.actor.userId,
    name: input.keyName ?? "key",
    prefix,
    tokenHash: hash,
    scopes: [INFER_SCOPE],
    projectId: null,
    expiresAt,
    endpointId: input.endpoint.id,
  });
  await writeAudit(tx, {
    orgId: caller.scope.orgId,
    actor: caller.actor,
    action: "endpoint.key.create",
    targetType: "endpoint",
    targetId: input.endpoint.id,
    details: { endpoint: input.endpoint.name, keyId: row.id, prefix },
  });
  return { id: row.id, key: token, prefix, expiresAt: iso(expiresAt) };
}
