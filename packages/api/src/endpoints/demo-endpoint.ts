import type { DbHandle } from "@autoglm/db/client";
import { findEndpointByName, findModelByName, withTransaction } from "@autoglm/db/queries";
import { AppError } from "../errors.js";
import { createEndpointInTx } from "./changes.js";

/**
 * `npm start`'s demo endpoint: `digits` follows `digits-mlp@champion`, the model the demo study
 * registers, so each better trial the local agent finds is rolled out to it without downtime.
 */
export const DEMO_ENDPOINT = { name: "digits", model: "digits-mlp", alias: "champion" } as const;

/**
 * Creates the demo endpoint once the demo model's alias exists (as the demo user, audited like a
 * person's create). `waiting`: the model or its alias is not there yet; `exists`: nothing to do.
 */
export async function ensureDemoEndpoint(
  handle: DbHandle,
  input: { orgId: string; userId: string },
  target: { name: string; model: string; alias: string } = DEMO_ENDPOINT,
): Promise<"created" | "exists" | "waiting"> {
  const caller = { scope: { orgId: input.orgId }, actor: { userId: input.userId } };
  if (await findEndpointByName(handle.db, caller.scope, target.name)) return "exists";
  if (!(await findModelByName(handle.db, caller.scope, target.model))) return "waiting";
  try {
    await withTransaction(handle.db, (tx) => createEndpointInTx(tx, caller, { ...target, via: "demo" }));
    return "created";
  } catch (err) {
    if (err instanceof AppError && err.appCode === "NOTHING_TO_SERVE") return "waiting";
    if (err instanceof AppError && err.appCode === "ENDPOINT_NAME_TAKEN") return "exists";
    throw err;
  }
}
