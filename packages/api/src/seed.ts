import type { DbHandle } from "@autoglm/db/client";
import { seedDemo, DEMO_EMAIL } from "@autoglm/db/seed";
import { seedDemoStudy } from "@autoglm/scheduler";
import { hashPassword } from "./auth/password.js";

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
