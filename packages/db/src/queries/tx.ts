import type { Db } from "../client.js";

/** Runs `fn` in one transaction on either driver; the callback's handle is a Db too. */
export async function withTransaction<T>(db: Db, fn: (tx: Db) => Promise<T>): Promise<T> {
  return db.transaction(async (tx) => fn(tx as unknown as Db));
}
