import type { DbHandle } from "@autoglm/db/client";
import { seedDemo, DEMO_EMAIL } from "@autoglm/db/seed";
import { insertToken, listTokens, revokeToken, withTransaction, writeAudit } from "@autoglm/db/queries";
import { seedDemoStudy } from "@autoglm/scheduler";
import { hashPassword } from "./auth/password.js";
import { generateApiToken } from "./auth/api-token.js";

/**
 * First-start seed: the demo user (with the password the caller chose), "Demo Team",
 * project "demo" and the running "branin-demo" study with 20 finished trials, computed
 * through the real ask/tell path. Idempotent.
 */
export async function seedDemoAll(handle: DbHandle, opts: { password: string; trials?: number }) {
  const rows = await seedDemo(handle, { passwordHash: await hashPassword(opts.password) });
  const study = await seedDemoStudy(handle, { ...rows, trials: opts.trials ?? 20 });
  return { ...rows, studyId: study.studyId, email: DEMO_EMAIL };
}

export const LOCAL_AGENT_TOKEN_NAME = "local agent (npm start)";

/**
 * A fresh agent-scope token for the local agent `npm start` launches. Only hashes are
 * stored, so each start issues a new one and revokes the previous start's token: at most
 * one is ever live, and it expires in a day if the process dies without cleaning up.
 */
export async function issueLocalAgentToken(handle: DbHandle, input: { orgId: string; userId: string }): Promise<string> {
  const { token, prefix, hash } = generateApiToken();
  const now = new Date();
  await withTransaction(handle.db, async (tx) => {
    for (const old of await listTokens(tx, { orgId: input.orgId, userId: input.userId })) {
      if (old.name === LOCAL_AGENT_TOKEN_NAME && !old.revokedAt) {
        await revokeToken(tx, { orgId: input.orgId, id: old.id, at: now });
      }
    }
    const row = await insertToken(tx, {
      orgId: input.orgId,
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
      details: { name: LOCAL_AGENT_TOKEN_NAME, scopes: ["agent"], prefix },
    });
  });
  return token;
}
