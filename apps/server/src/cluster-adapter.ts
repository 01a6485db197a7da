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
  // Payloads over NOTIFY's 8 kB limit go through this table (the adapter's own schema).
  await pool.query(
    "CREATE TABLE IF NOT EXISTS socket_io_attachments (id bigserial UNIQUE, created_at timestamptz DEFAULT now(), payload bytea)",
  );
  io.adapter(createAdapter(pool, { errorHandler: (err: Error) => input.log(`socket.io adapter error: ${err.message}`) }));
  return {
    async close() {
      // Stop each namespace's adapter (its heartbeats and LISTEN) before the pool goes away.
      for (const nsp of io._nsps.values()) await Promise.resolve(nsp.adapter.close?.()).catch(() => undefined);
      await pool.end();
    },
  };
}
