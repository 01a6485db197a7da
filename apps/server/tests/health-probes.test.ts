import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDb, type TestDb } from "@autoglm/db/testing";
import { createLogger } from "@autoglm/logging";
import { createRequestHandler } from "../src/request-handler.js";
import { createPlatformServices } from "../src/services.js";

/**
 * The two probes the Helm chart uses: readiness (/healthz) follows the database, liveness
 * (/livez) does not, so a database outage takes replicas out of the Service without the
 * kubelet restarting them all.
 */
let db: TestDb;
let http: Server;
let base: string;
let dbClosed = false;

beforeAll(async () => {
  db = await createTestDb();
  const services = createPlatformServices(db, () => {});
  const requests = createRequestHandler({
    db,
    checkSignInLimit: services.checkSignInLimit,
    clientIpOf: (req) => req.socket.remoteAddress ?? "",
    logger: createLogger({ name: "test", level: "silent" }),
  });
  http = createServer(requests.handle);
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
}, 60_000);

afterAll(async () => {
  await new Promise((resolve) => http?.close(resolve));
  if (!dbClosed) await db?.drop();
});

async function probe(path: string): Promise<{ status: number; body: unknown }> {
  const res = await fetch(base + path);
  return { status: res.status, body: await res.json() };
}

describe("health probes", () => {
  it("answers liveness while the dashboard is still starting, and readiness only once it is ready", async () => {
    expect(await probe("/livez")).toEqual({ status: 200, body: { ok: true } });
    expect(await probe("/healthz")).toEqual({ status: 503, body: { ok: false, db: "up", web: "starting" } });
  });

  it("keeps liveness at 200 when the database is gone, while readiness turns 503", async () => {
    await db.drop();
    dbClosed = true;
    expect(await probe("/healthz")).toEqual({ status: 503, body: { ok: false, db: "down", web: "starting" } });
    expect(await probe("/livez")).toEqual({ status: 200, body: { ok: true } });
  });
});
