import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
// Test-only: the SDK's own code never imports @autoglm/api at run time (tooling/eslint/graph.js).
import {
  authenticateCredentials,
  createServerCaller,
  createStandaloneHandler,
  nullEvents,
  startUserSession,
  type TApiDeps,
} from "@autoglm/api";
import { createTestDb, type TestDb } from "@autoglm/db/testing";
import { createClient, type AutoglmClient } from "../../src/index.js";

export interface TestServer {
  /** Base URL, e.g. http://127.0.0.1:40123 (the router is mounted at /api/trpc like the real server). */
  url: string;
  /** A read+write API token of the seeded user's team. */
  token: string;
  projectId: string;
  projectSlug: string;
  /** A client with `token`, for assertions from the test's side. */
  client: AutoglmClient;
  db: TestDb;
  close(): Promise<void>;
}

/**
 * The REAL appRouter over a real HTTP server on 127.0.0.1 and a fresh database (PGlite in
 * memory, or a clone of the migrated template when DATABASE_URL is set). The user, team,
 * project and token are made through the router itself, as a person would on the dashboard.
 */
export async function startTestServer(opts: { askLeaseMs?: number } = {}): Promise<TestServer> {
  const db = await createTestDb();
  const deps: TApiDeps = {
    db,
    events: nullEvents,
    options: { ...(opts.askLeaseMs ? { askLeaseMs: opts.askLeaseMs } : {}) },
  };

  const anonymous = await createServerCaller(deps, {});
  await anonymous.auth.signUp({
    email: "sdk-tests@example.com",
    password: "correct horse battery staple",
    name: "SDK Tests",
    teamName: "SDK Team",
  });
  // Sign-up names no ids (it answers alike for taken emails); sign in as the dashboard would.
  const user = await authenticateCredentials(db, {
    email: "sdk-tests@example.com",
    password: "correct horse battery staple",
    ip: null,
  });
  const { sessionId } = await startUserSession(db, { userId: user.id });
  const me = await createServerCaller(deps, { session: { userId: user.id, sessionVersion: user.sessionVersion, sessionId } });
  const orgId = (await me.auth.me()).orgs[0]!.id;
  const owner = await createServerCaller(deps, {
    session: { userId: user.id, sessionVersion: user.sessionVersion, sessionId },
    orgId,
  });
  const project = await owner.project.create({ name: "Tuning Lab" });
  const { token } = await owner.token.create({ name: "sdk-tests", scopes: ["read", "write"] });

  const server: Server = createServer(createStandaloneHandler(deps, { basePath: "/api/trpc/" }));
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;

  return {
    url,
    token,
    projectId: project.id,
    projectSlug: project.slug,
    client: createClient({ server: url, token }),
    db,
    async close() {
      // Children and fetch keep-alive sockets may still hold connections: close them too,
      // so the test leaves no socket behind (STYLE §15).
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await db.drop();
    },
  };
}
