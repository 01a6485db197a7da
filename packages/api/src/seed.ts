import type { DbHandle } from "@autoglm/db/client";
import { seedDemo, DEMO_EMAIL } from "@autoglm/db/seed";
import { deleteTokensNamed, insertToken, withTransaction, writeAudit } from "@autoglm/db/queries";
import { seedDemoStudy, seedDigitsDemoStudy } from "@autoglm/scheduler";
import { hashPassword } from "./auth/password.js";
import { generateApiToken } from "@autoglm/protocol/api-token";

/**
 * First-start seed: the demo user (with the password the caller chose), "Demo Team",
 * project "demo", the running "branin-demo" study with 20 finished trials, computed
 * through the real ask/tell path, and "digits-mlp-demo" for the local agent. Idempotent.
 */
export async function seedDemoAll(handle: DbHandle, opts: { password: string; trials?: number }) {
  const rows = await seedDemo(handle, { passwordHash: await hashPassword(opts.password) });
  const study = await seedDemoStudy(handle, { ...rows, trials: opts.trials ?? 20 });
  const digits = await seedDigitsDemoStudy(handle, rows);
  return { ...rows, studyId: study.studyId, digitsStudyId: digits.studyId, email: DEMO_EMAIL };
}

export const LOCAL_AGENT_TOKEN_NAME = "local agent (npm start)";

/**
 * A fresh agent-scope token for the local agent `npm start` launches. Only hashes are
 * stored, so each start issues a new one and deletes the previous start's: at most one is
 * ever live (the old one stops working at once), the token list does not grow by one per
 * start, and a token left by a crashed process expires in a day.
 */
export async function issueLocalAgentToken(handle: DbHandle, input: { orgId: string; userId: string }): Promise<string> {
  const { token, prefix, hash } = generateApiToken();
  const now = new Date();
  const scope = { orgId: input.orgId };
  await withTransaction(handle.db, async (tx) => {
    const replaced = await deleteTokensNamed(tx, scope, { userId: input.userId, name: LOCAL_AGENT_TOKEN_NAME });
    const row = await insertToken(tx, scope, {
      userId: input.userId,
      name: LOCAL_AGENT_TOKEN_NAME,
      prefix,
      tokenHash: hash,
      scopes: ["agent"],
      projectId: null,
      expiresAt: new Date(now.getTime() + 24 * 3600_000),
    });
    await writeAudit(tx, {
      orgId: input.orgId,
      actor: { userId: input.userId },
      action: "token.create",
      targetType: "token",
      targetId: row.id,
      details: { name: LOCAL_AGENT_TOKEN_NAME, scopes: ["agent"], prefix, replaced },
    });
  });
  return token;
}
