import { findInvitationByHash, type DbOrTx } from "@autoglm/db/queries";
import { AppError } from "../../errors.js";
import { sha256Hex } from "@autoglm/protocol/api-token";

const UNUSABLE = "This invitation link is not valid any more (used, revoked or expired). Ask for a new one.";

/** An unknown, used, revoked or expired secret all read the same. */
export async function findUsableInvitation(db: DbOrTx, secret: string, now: Date) {
  const found = await findInvitationByHash(db, sha256Hex(secret));
  if (!found || found.inv.acceptedAt || found.inv.revokedAt || found.inv.expiresAt.getTime() <= now.getTime()) {
    throw new AppError("NOT_FOUND", { userMessage: UNUSABLE });
  }
  return found;
}
