import type { SQL } from "drizzle-orm";
import { PgDialect } from "drizzle-orm/pg-core";
import type { DbHandle } from "../client.js";
import type { DbOrTx } from "./scope.js";

/**
 * Where a lifecycle statement runs: the pooled handle (the run loop's hot path, as a named
 * prepared statement on PostgreSQL: planning its CTEs cost more than running them, L1), or a
 * drizzle database or transaction (ask/tell, which holds the study's lock in one transaction).
 */
export type SqlDb = DbOrTx | DbHandle;

const dialect = new PgDialect();

function isHandle(db: SqlDb): db is DbHandle {
  return "driver" in db && typeof (db as DbHandle).query === "function";
}

/**
 * Runs one statement written with drizzle's `sql` template (values become parameters, never
 * text) and returns its rows with their SQL column names. `name` must belong to one template:
 * a prepared statement is parsed once per connection under it. No value may be an array
 * (drizzle expands those into a list, so the text would differ between calls).
 */
export async function runStatement<T>(db: SqlDb, name: string, statement: SQL): Promise<T[]> {
  if (isHandle(db)) {
    const q = dialect.sqlToQuery(statement);
    return db.query<T>(q.sql, q.params, name);
  }
  const res = (await db.execute(statement)) as unknown as { rows: T[] };
  return res.rows;
}

/** Numeric columns come back as strings from pg (bigint, numeric) and numbers from PGlite. */
export function numberOf(v: unknown): number {
  return typeof v === "number" ? v : Number(v);
}

/** A nullable float8/int column, normalised the same way. */
export function numberOrNull(v: unknown): number | null {
  return v === null || v === undefined ? null : numberOf(v);
}

/** Timestamps as parameters: ISO text, which both drivers send unchanged; null means the database's now(). */
export function isoOrNull(at: Date | null | undefined): string | null {
  return at ? at.toISOString() : null;
}
