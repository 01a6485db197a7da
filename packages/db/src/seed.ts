import type { DbHandle } from "./client.js";
import {
  findOrgIdBySlug,
  findProjectBySlug,
  findUserByEmail,
  insertOrgWithOwner,
  insertProject,
  insertUser,
  upsertMembership,
} from "./queries/index.js";

export const DEMO_EMAIL = "demo@autoglm.dev";
export const DEMO_TEAM_NAME = "Demo Team";
export const DEMO_TEAM_SLUG = "demo-team";
export const DEMO_PROJECT_SLUG = "demo";

export interface TSeedDemoResult {
  userId: string;
  orgId: string;
  projectId: string;
  /** False when everything already existed (a second start). */
  created: boolean;
}

/**
 * Rows only (db imports nothing of ours): the demo user, "Demo Team" and project "demo".
 * The study with its trials is seeded by `seedDemoStudy` in @autoglm/scheduler, through the
 * real ask/tell path. Idempotent: a second call finds the rows and changes nothing (the
 * password of an existing demo user is left alone).
 */
export async function seedDemo(handle: DbHandle, options: { passwordHash: string }): Promise<TSeedDemoResult> {
  return handle.db.transaction(async (txRaw) => {
    const tx = txRaw as unknown as DbHandle["db"];
    let created = false;
    let user = await findUserByEmail(tx, DEMO_EMAIL);
    if (!user) {
      user = await insertUser(tx, { email: DEMO_EMAIL, name: "Demo User", passwordHash: options.passwordHash });
      if (!user) throw new Error("could not create the demo user");
      created = true;
    }
    let orgId = await findOrgIdBySlug(tx, DEMO_TEAM_SLUG);
    if (!orgId) {
      orgId = (await insertOrgWithOwner(tx, { name: DEMO_TEAM_NAME, slug: DEMO_TEAM_SLUG, ownerId: user.id })).id;
      created = true;
    } else {
      await upsertMembership(tx, { orgId }, { userId: user.id, role: "owner" });
    }
    const scope = { orgId };
    let project = await findProjectBySlug(tx, scope, DEMO_PROJECT_SLUG);
    if (!project) {
      await insertProject(tx, scope, {
        name: "demo",
        slug: DEMO_PROJECT_SLUG,
        description: "The demo project seeded at first start.",
      });
      project = await findProjectBySlug(tx, scope, DEMO_PROJECT_SLUG);
      created = true;
    }
    if (!project) throw new Error("could not create the demo project");
    return { userId: user.id, orgId, projectId: project.id, created };
  });
}
