import { createAdapter } from "@socket.io/postgres-adapter";
import pg from "pg";
import type { Server } from "socket.io";

/**
 * With a PostgreSQL server, several server processes share one database; the Socket.IO
 * Postgres adapter (LISTEN/NOTIFY) makes a room emit in one process reach the browsers and
 * agents connected to the others, so a trial finished through replica B rings the study
 * page open on replica A. PGlite is single-process: nothing to do.
 */
export async function attachClusterAdapter(
  io: Server,
  input: { databaseUrl: string | undefined; log: (line: string) => void },
): Promise<{ close(): Promise<void> } | null> {
  if (!input.databaseUrl) return null;
  // A pool of its own: the adapter holds one connection in LISTEN for its lifetime.
  const pool = new pg.Pool({ connectionString: input.databaseUrl, max: 3 });
  // R5: a PostgreSQL restart must not crash the process; the adapter re-listens.
  pool.on("error", (err) => input.log(`socket.io adapter pool error: ${err.message}`));
  // The adapter keeps one client checked out for LISTEN and attaches no "error" listener to
  // it: when PostgreSQL goes away that error would be an uncaught exception. Handled here,
  // the client's "end" still fires and the adapter re-LISTENs on a fresh connection.
  //
  // LISTEN/NOTIFY keeps nothing for a listener that is reconnecting, so doorbells rung on
  // other replicas during the gap are lost; once connections come back after a loss, this
  // replica's browsers are told to refetch ("resync") — a few times, since the adapter
  // re-LISTENs 1–3 s after it notices — instead of showing a stale page until the next event.
  let lostAt = 0;
  let resyncTimers: NodeJS.Timeout[] = [];
  pool.on("connect", (client) => {
    client.on("error", (err) => {
      lostAt = Date.now();
      input.log(`socket.io adapter connection lost: ${err.message}`);
    });
    if (lostAt && resyncTimers.length === 0) {
      resyncTimers = [1_000, 2_500, 4_000].map((ms) =>
        setTimeout(() => {
          io.local.emit("resync");
          if (resyncTimers.length > 0 && ms === 4_000) resyncTimers = [];
        }, ms),
      );
      for (const t of resyncTimers) t.unref();
      lostAt = 0;
    }
  });
  await createAttachmentsTable(pool);
  io.adapter(createAdapter(pool, { errorHandler: (err: Error) => input.log(`socket.io adapter error: ${err.message}`) }));
  return {
    async close() {
      for (const t of resyncTimers) clearTimeout(t);
      // Stop each namespace's adapter (its heartbeats and LISTEN) before the pool goes away.
      for (const nsp of io._nsps.values()) await Promise.resolve(nsp.adapter.close?.()).catch(() => undefined);
      await pool.end();
    },
  };
}

// Arbitrary constant shared by every server, beside the migrations' lock key (packages/db).
const ATTACHMENTS_LOCK_KEY = 7_346_921_107;

/**
 * Payloads over NOTIFY's 8 kB limit go through this table (the adapter's own schema). Replicas
 * that start together on a fresh database would race CREATE TABLE IF NOT EXISTS (one of them
 * fails on pg_type's unique index and exits), so they take turns under a transaction lock.
 */
async function createAttachmentsTable(pool: pg.Pool): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    await client.query("SELECT pg_advisory_xact_lock($1)", [ATTACHMENTS_LOCK_KEY]);
    await client.query(
      "CREATE TABLE IF NOT EXISTS socket_io_attachments (id bigserial UNIQUE, created_at timestamptz DEFAULT now(), payload bytea)",
    );
    await client.query("COMMIT");
  } catch (err) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}
