import { Server } from "socket.io";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDb, type TestDb } from "@autoglm/db/testing";
import { attachClusterAdapter } from "../src/cluster-adapter.js";

/**
 * Server replicas that start together on a fresh database (a Helm release's first rollout)
 * each attach the Socket.IO PostgreSQL adapter: none may fail on the adapter's table. Eight at
 * once made the race show on every run here; the chart's two replicas hit it about one start in three.
 */
const REPLICAS = 8;
let db: TestDb | undefined;

beforeAll(async () => {
  if (process.env.DATABASE_URL) db = await createTestDb();
}, 60_000);
afterAll(async () => {
  await db?.drop();
});

describe.skipIf(!process.env.DATABASE_URL)("cluster adapter (PostgreSQL only)", () => {
  it(`attaches in ${REPLICAS} processes' worth of servers starting at once`, async () => {
    const servers = Array.from({ length: REPLICAS }, () => new Server());
    const results = await Promise.allSettled(
      servers.map((io) => attachClusterAdapter(io, { databaseUrl: db!.url, log: () => {} })),
    );
    for (const r of results) if (r.status === "fulfilled") await r.value?.close();
    expect(results.filter((r) => r.status === "rejected").map((r) => String((r as PromiseRejectedResult).reason))).toEqual([]);
    const [row] = await db!.query<{ n: string }>("SELECT count(*) AS n FROM socket_io_attachments");
    expect(Number(row!.n)).toBe(0);
  });
});
