import { z } from "zod";
import {
  findUserByEmail,
  insertOrgWithOwner,
  insertUser,
  slugify,
  slugTaken,
  withTransaction,
  writeAudit,
} from "@autoglm/db/queries";
import { randomBytes } from "node:crypto";
import { publicProcedure } from "../../trpc.js";
import { AppError } from "../../errors.js";
import { hashPassword } from "../../auth/password.js";
import { zText } from "./../shared.js";

export const ZSignUpInput = z
  .object({
    email: z.string().trim().toLowerCase().max(320).email("must be an email address"),
    password: z.string().min(10, "must have at least 10 characters").max(1000),
    name: zText(100, 1),
    teamName: zText(100, 1).optional(),
  })
  .strict();
export const ZSignUpOutput = z.object({ userId: z.string(), orgId: z.string() });

/** A unique team slug: the name's slug, or with a short random suffix when taken. */
export async function uniqueOrgSlug(db: Parameters<typeof slugTaken>[0], name: string): Promise<string> {
  const base = slugify(name);
  if (!(await slugTaken(db, base))) return base;
  for (;;) {
    const s = `${base.slice(0, 33)}-${randomBytes(4).toString("hex").slice(0, 6)}`;
    if (!(await slugTaken(db, s))) return s;
  }
}

export const signUp = publicProcedure
  .input(ZSignUpInput)
  .output(ZSignUpOutput)
  .mutation(async ({ ctx, input }) => {
    const db = ctx.db.db;
    if (await findUserByEmail(db, input.email)) {
      throw new AppError("EMAIL_TAKEN", { userMessage: "An account with this email already exists; sign in instead." });
    }
    const passwordHash = await hashPassword(input.password);
    return withTransaction(db, async (tx) => {
      const user = await insertUser(tx, { email: input.email, name: input.name, passwordHash });
      if (!user) {
        throw new AppError("EMAIL_TAKEN", { userMessage: "An account with this email already exists; sign in instead." });
      }
      const teamName = input.teamName ?? `${input.name}'s team`;
      const org = await insertOrgWithOwner(tx, { name: teamName, slug: await uniqueOrgSlug(tx, teamName), ownerId: user.id });
      await writeAudit(tx, {
        orgId: org.id,
        actor: { userId: user.id },
        action: "membership.create",
        targetType: "membership",
        targetId: user.id,
        details: { role: "owner", via: "sign-up" },
      });
      return { userId: user.id, orgId: org.id };
    });
  });
