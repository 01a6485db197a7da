import { countOwners, findMembership, type DbOrTx, type TRole } from "@autoglm/db/queries";
import { AppError, notFound } from "../../errors.js";

/**
 * Who may change whom: admins manage members and viewers; only owners touch owners or make
 * someone an owner; the last owner can be neither demoted nor removed.
 */
export async function checkMemberChange(
  tx: DbOrTx,
  input: { orgId: string; actorRole: TRole; targetUserId: string; newRole: TRole | null },
): Promise<TRole> {
  const target = await findMembership(tx, { orgId: input.orgId, userId: input.targetUserId });
  if (!target) throw notFound("Member");
  const touchesOwner = target.role === "owner" || input.newRole === "owner";
  if (touchesOwner && input.actorRole !== "owner") {
    throw new AppError("ROLE_TOO_LOW", { userMessage: "Only an owner can change an owner or make someone an owner." });
  }
  if (target.role === "owner" && input.newRole !== "owner" && (await countOwners(tx, { orgId: input.orgId })) <= 1) {
    throw new AppError("LAST_OWNER", {
      userMessage: "The team's last owner cannot be demoted or removed; make someone else an owner first.",
    });
  }
  return target.role;
}
