import path from "node:path";
import { fileURLToPath } from "node:url";
import { PGlite } from "@electric-sql/pglite";
import { sql } from "drizzle-orm";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import { drizzle as drizzlePg } from "drizzle-orm/node-postgres";
import { migrate as migratePg } from "drizzle-orm/node-postgres/migrator";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import { migrate as migratePglite } from "drizzle-orm/pglite/migrator";
import pg from "pg";
import type { Logger } from "@autoglm/protocol";
import { describeStatement } from "./statement.js";
import { makePrivateDir, tightenTree } from "./private-dir.js";
import * as schema from "./schema.js";

export { schema };
export { makePrivateDir, tightenTree };
export type Schema = typeof schema;
/** One type for both drivers: code above this package never knows which one it has. */
export type Db = PgDatabase<PgQueryResultHKT, Schema>;

export interface DbHandle {
  db: Db;
  driver: "pglite" | "pg";
  /**
   * Runs raw SQL and returns rows; for statements drizzle's builder cannot express (SKIP LOCKED
   * CTEs). `name` (a constant, one per statement text) makes it a named prepared statement on
   * PostgreSQL: each pooled connection parses it once and, after a few runs, reuses its plan.
   * Planning the scheduler's hot statements took more PostgreSQL time than running them (L1).
   */
  query<T = Record<string, unknown>>(text: string, params?: unknown[], name?: string): Promise<T[]>;
  close(): Promise<void>;
  /** The pg pool, when driver is "pg" (for LISTEN/NOTIFY and the Socket.IO adapter). */
  pool?: pg.Pool;
}

export interface CreateDbOptions {
  /** postgres://… — when absent, an embedded PGlite database is used. */
  url?: string;
  /**
   * PGlite data directory; `memory://` keeps it in memory (tests). Made 0700 with its files
   * 0600, owned by this process's user (private-dir.ts).
   */
  dataDir?: string;
  /** Apply migrations before returning (default true). */
  migrate?: boolean;
  poolSize?: number;
  /** Called for pool-level errors (a restarted PostgreSQL) instead of crashing the process. */
  onPoolError?: (err: Error) => void;
  /**
   * Each statement at debug (`db query`, its verb and table, never its parameters: they carry
   * password hashes and token hashes, S10) and each failed raw statement at error. Lines are
   * written in the caller's async context, so they carry its request id.
   */
  logger?: Pick<Logger, "debug" | "error">;
}

export const MIGRATIONS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../drizzle");

// Arbitrary constant shared by every server: only one process migrates at a time.
const MIGRATION_LOCK_KEY = 7_346_921_105;

export async function createDb(options: CreateDbOptions = {}): Promise<DbHandle> {
  const shouldMigrate = options.migrate ?? true;
  if (options.url) {
    const pool = new pg.Pool({
      connectionString: options.url,
      max: options.poolSize ?? 10,
      // A dead server must not hang requests forever.
      connectionTimeoutMillis: 10_000,
    });
    pool.on("error", (err) => options.onPoolError?.(err));
    const db = drizzlePg(pool, { schema, logger: drizzleLogger(options.logger) }) as unknown as Db;
    if (shouldMigrate) await migrateWithLock(pool);
    return {
      db,
      driver: "pg",
      pool,
      query: loggedQuery(options.logger, async (text, params, name) => {
        const res = await pool.query(name ? { name, text, values: params } : { text, values: params });
        return res.rows;
      }),
      close: () => pool.end(),
    };
  }

  const dataDir = options.dataDir ?? defaultDataDir();
  const onDisk = !dataDir.includes("://");
  if (onDisk) {
    makePrivateDir(dataDir);
    tightenTree(dataDir);
  }
  const client = await PGlite.create(dataDir);
  const db = drizzlePglite(client, { schema, logger: drizzleLogger(options.logger) }) as unknown as Db;
  if (shouldMigrate) {
    await migratePglite(drizzlePglite(client, { schema }), { migrationsFolder: MIGRATIONS_DIR });
  }
  // The files PGlite has just created; the directory's 0700 covers the ones it makes later.
  if (onDisk) tightenTree(dataDir);
  return {
    db,
    driver: "pglite",
    query: loggedQuery(options.logger, async (text, params) => (await client.query(text, params)).rows),
    close: () => client.close(),
  };
}

/** drizzle's query hook: the statement's verb and table at debug; `false` (no hook) without a logger. */
function drizzleLogger(logger: CreateDbOptions["logger"]): { logQuery(query: string): void } | false {
  return logger ? { logQuery: (query) => logger.debug("db query", { statement: describeStatement(query) }) } : false;
}

type TRunQuery = (text: string, params: unknown[], name?: string) => Promise<unknown[]>;

/** DbHandle.query with the same debug line, and failures logged (name, code, statement) before they propagate; the bare query without a logger. */
function loggedQuery(logger: CreateDbOptions["logger"], run: TRunQuery): DbHandle["query"] {
  if (!logger) return async <T>(text: string, params: unknown[] = [], name?: string) => (await run(text, params, name)) as T[];
  return async <T>(text: string, params: unknown[] = [], name?: string) => {
    const statement = name ?? describeStatement(text);
    logger.debug("db query", { statement });
    try {
      return (await run(text, params, name)) as T[];
    } catch (err) {
      const e = err as { name?: string; code?: string };
      logger.error("db query failed", { statement, error: e?.name ?? "Error", code: e?.code });
      throw err;
    }
  };
}

async function migrateWithLock(pool: pg.Pool): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query("SELECT pg_advisory_lock($1)", [MIGRATION_LOCK_KEY]);
    try {
      await migratePg(drizzlePg(client, { schema }), { migrationsFolder: MIGRATIONS_DIR });
    } finally {
      await client.query("SELECT pg_advisory_unlock($1)", [MIGRATION_LOCK_KEY]);
    }
  } finally {
    client.release();
  }
}

/** `<cwd>/.data/pglite` unless the app's config names another directory. */
export function defaultDataDir(base: string = path.join(process.cwd(), ".data")): string {
  return path.resolve(base, "pglite");
}

/** A cheap liveness probe for health endpoints. */
export async function pingDb(handle: DbHandle): Promise<boolean> {
  try {
    await handle.db.execute(sql`select 1`);
    return true;
  } catch {
    return false;
  }
}
