import { chmodSync, existsSync } from "node:fs";
import path from "node:path";
import { makePrivateDir } from "@autoglm/db/client";
import type { TServerEnv } from "./env.js";

/**
 * AUTOGLM_DATA_DIR (the embedded database, the auth secret) is 0700 and its secret 0600, owned
 * by the server's user: the local agent's trials run on this machine as `nobody` and must not
 * read password hashes or other teams' rows. The PGlite tree below it is tightened by createDb.
 * Only what the server put here is touched: the directory may be one an operator named.
 */
export function secureDataDir(env: Pick<TServerEnv, "AUTOGLM_DATA_DIR" | "DATABASE_URL" | "AUTH_SECRET">): void {
  const dir = env.AUTOGLM_DATA_DIR;
  // With PostgreSQL and AUTH_SECRET given, nothing is kept here: do not create it.
  if (env.DATABASE_URL && env.AUTH_SECRET && !existsSync(dir)) return;
  makePrivateDir(dir);
  const secret = path.join(dir, "auth-secret");
  if (existsSync(secret)) chmodSync(secret, 0o600);
}
