import { z } from "zod";
import { insertOrgWithOwner, insertUser, slugify, slugTaken, withTransaction, writeAudit } from "@autoglm/db/queries";
import { randomBytes } from "node:crypto";
import { publicProcedure } from "../../trpc.js";
import { AppError } from "../../errors.js";
import { hashPassword } from "../../auth/password.js";
import { reserveSignUpAttempt } from "../../auth/attempt-limits.js";
import { zText } from "./../shared.js";

export const ZSignUpInput = z
  .object({
    email: z.string().trim().toLowerCase().max(320).email("must be an email address"),
    password: z.string().min(10, "must have at least 10 characters").max(1000),
    name: zText(100, 1),
    teamName: zText(100, 1).optional(),
  })
  .strict();
/**
 * The same answer whether the email was free or already had an account, so sign-up does not
 * tell anyone which emails are registered. The embedded default sends no email, so there is
 * no "check your inbox" step: the client signs in with the password it chose next, which
 * works for a new account (or for the owner of an existing one) and fails like any wrong
 * password otherwise. That sign-in still reveals that an account existed, but only at the
 * cost of a sign-up and a counted sign-in failure, both limited per client (S6).
 */
export const ZSignUpOutput = z.object({ ok: z.literal(true) });

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
    if (!ctx.options.passwordSignUp) {
      throw new AppError("FORBIDDEN", {
        userMessage: "Password accounts are turned off on this platform: sign in with single sign-on.",
      });
    }
    const db = ctx.db.db;
    const limit = ctx.options.signUpLimit;
    // In-process callers (ctx.req null: server code, tests) are not a client to limit.
    if (limit && ctx.req) {
      const verdict = await reserveSignUpAttempt(ctx.db, { ip: ctx.req.clientIp }, limit, ctx.options.clock.now());
      if (verdict.limited) {
        throw new AppError("RATE_LIMITED", {
          userMessage: `Too many sign-ups from your address. Try again in ${Math.ceil(verdict.retryAfterSeconds / 60)} minute(s).`,
        });
      }
    }
    // Hashed either way, so an existing email takes as long as a new one.
    const passwordHash = await hashPassword(input.password);
    await withTransaction(db, async (tx) => {
      // An existing account is left untouched (its owner signs in with their own password).
      const user = await insertUser(tx, { email: input.email, name: input.name, passwordHash });
      if (!user) return;
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
    });
    return { ok: true as const };
  });
