// S7 over the real server: bodies past 1 MiB (chunked too) on every route, oversize tRPC
// batches, NUL characters through the agent handshake and tRPC, and specs that cost far more than their size.
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { io as connectAgent, type Socket } from "socket.io-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDb, type TestDb } from "@autoglm/db/testing";
import { MAX_BATCH_SIZE as MAX_TRPC_BATCH_SIZE } from "@autoglm/api";
import { startServer, type RunningServer } from "../src/server.js";
import { REPO_ROOT } from "../src/env.js";
import { chunkedPost } from "./chunked.mjs";
import { Browser } from "./helpers.js";

if (!existsSync(path.join(REPO_ROOT, "apps/web/.next/BUILD_ID"))) {
  throw new Error("apps/web is not built: run `pnpm --filter @autoglm/web build` (or `pnpm build`) first.");
}

const MiB = 1024 * 1024;
let db: TestDb;
let server: RunningServer;
let dataDir: string;

beforeAll(async () => {
  db = await createTestDb();
  dataDir = mkdtempSync(path.join(tmpdir(), "autoglm-bodies-test-"));
  server = await startServer({ port: 0, host: "127.0.0.1", db, dataDir, log: () => {} });
});

afterAll(async () => {
  await server?.close();
  await db?.drop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

async function rowCount(table: string): Promise<number> {
  const [r] = await db.query<{ n: number }>(`select count(*)::int as n from ${table}`);
  return Number(r!.n);
}

describe("request bodies past 1 MiB", () => {
  const json = () => ({ "content-type": "application/json", origin: server.url });
  const routes: Array<[string, string, string]> = [
    ["auth.signUp", "/api/trpc/auth.signUp", "application/json"],
    ["a tRPC mutation", "/api/trpc/project.create", "application/json"],
    ["next-auth's sign-in", "/api/auth/callback/credentials", "application/x-www-form-urlencoded"],
    ["a page", "/projects", "text/plain"],
  ];

  it.each(routes)(
    "streamed (chunked) to %s: 413 before the body ends, and the connection closes",
    async (_name, route, contentType) => {
      const users = await rowCount("users");
      // 1.5 MiB, then the client waits: a server that reads to the end never answers. Then it
      // ignores the answer and tries to push 64 MiB: a server still reading would take it all,
      // one that stopped lets through only what the sockets' buffers hold, then closes.
      const r = await chunkedPost(server.url, route, {
        headers: { "content-type": contentType, origin: server.url },
        total: 64 * MiB,
        pauseAfter: 1.5 * MiB,
        ignoreAnswer: true,
      });
      expect(r.status).toBe(413);
      expect(r.response).toContain("The request is larger than 1 MiB.");
      expect(r.sentBeforeAnswer).toBeLessThanOrEqual(1.5 * MiB);
      expect(r.closedEarly).toBe(true);
      expect(r.sent).toBeLessThan(32 * MiB);
      expect(await rowCount("users")).toBe(users);
    },
  );

  it("a client that stops at the answer reads the 413 even while its upload was in full flow", async () => {
    const statuses: Array<number | null> = [];
    for (let i = 0; i < 6; i++) {
      const r = await chunkedPost(server.url, "/api/trpc/project.create", {
        headers: { "content-type": "application/json", origin: server.url },
        total: 8 * MiB,
      });
      statuses.push(r.status);
    }
    expect(statuses).toEqual(Array(6).fill(413));
  });

  it("declared by Content-Length: 413 without reading", async () => {
    const res = await fetch(`${server.url}/api/trpc/auth.signUp`, {
      method: "POST",
      headers: json(),
      body: Buffer.alloc(MiB + 1, 0x61),
    }).catch((e: unknown) => e as Error);
    expect(res instanceof Response && res.status).toBe(413);
  });

  it("a chunked body under the limit still works", async () => {
    const email = `chunked-${Date.now()}@example.com`;
    const body = Buffer.from(
      JSON.stringify({ email, password: "correct horse battery", name: "Chunked", teamName: "Chunked team" }),
    );
    const r = await chunkedPost(server.url, "/api/trpc/auth.signUp", { headers: json(), total: body.length, body });
    expect(r.status).toBe(200);
    const [u] = await db.query<{ n: number }>(`select count(*)::int as n from users where email = $1`, [email]);
    expect(Number(u!.n)).toBe(1);
  });
});

async function signedInUser(tag: string): Promise<{ browser: Browser; orgId: string }> {
  const browser = new Browser(server.url);
  const email = `${tag}-${Date.now()}@example.com`;
  const password = "correct horse battery";
  await browser.call("auth.signUp", { email, password, name: tag, teamName: `${tag} team` });
  expect((await browser.signIn(email, password)).status).toBe(200);
  const orgId = (await browser.call<{ orgs: { id: string }[] }>("auth.me", undefined, { query: true })).orgs[0]!.id;
  return { browser, orgId };
}

describe("NUL characters (PostgreSQL text cannot hold them)", () => {
  it("in an agent's registration: BAD_REQUEST naming the field, no agent stored", async () => {
    const { browser, orgId } = await signedInUser("nul-agent");
    const { token } = await browser.call<{ token: string }>(
      "token.create",
      { name: "gpu box", scopes: ["agent"] },
      { org: orgId },
    );
    const socket: Socket = connectAgent(`${server.url}/agents`, {
      transports: ["websocket"],
      auth: { token },
      reconnection: false,
      forceNew: true,
    });
    try {
      await new Promise<void>((resolve, reject) => {
        socket.once("connect", resolve);
        socket.once("connect_error", reject);
      });
      const register = {
        v: 1,
        name: "nul-agent",
        host: "box-1",
        cpuCores: 2,
        memoryMb: 1024,
        gpus: [],
        labels: { pool: "a" },
        maxTrials: 1,
        running: [],
      };
      const cases: Array<[object, string]> = [
        [{ labels: { pool: "gpu\u0000" } }, "labels.pool"],
        [{ host: "box\u0000" }, "host"],
        [{ gpus: [{ index: 0, model: "A100\u0000", memoryMb: 1 }] }, "gpus.0.model"],
      ];
      for (const [patch, field] of cases) {
        const ack = await socket.timeout(5_000).emitWithAck("agent:register", { ...register, ...patch });
        expect(ack).toEqual({
          ok: false,
          error: { code: "BAD_REQUEST", message: `${field}: must not contain a NUL character (\\u0000)` },
        });
      }
      expect(await rowCount("agents")).toBe(0);
      // The same agent registers once the label is clean.
      expect(await socket.timeout(5_000).emitWithAck("agent:register", register)).toMatchObject({ ok: true });
    } finally {
      socket.disconnect();
    }
  });

  it("in a tRPC mutation: 400 naming the field, nothing stored", async () => {
    const { browser, orgId } = await signedInUser("nul-trpc");
    const projects = await rowCount("projects");
    const r = await browser.trpc("project.create", { name: "lab\u0000one" }, { org: orgId });
    expect(r.status).toBe(400);
    expect(r.body.error?.data).toMatchObject({
      code: "BAD_REQUEST",
      userMessage: "name: must not contain a NUL character (\\u0000)",
    });
    expect(await rowCount("projects")).toBe(projects);
  });
});

describe("costly specs and batches, over HTTP", () => {
  it("a grid spec whose point count overflows is refused, not stored, and the server keeps answering", async () => {
    const { browser, orgId } = await signedInUser("grid");
    const { id: projectId } = await browser.call<{ id: string }>("project.create", { name: "grid" }, { org: orgId });
    const space = Object.fromEntries(Array.from({ length: 62 }, (_, i) => [`x${i}`, { type: "float", low: 0, high: 1 }]));
    const spec = {
      name: "grid",
      objective: { metric: "loss", direction: "minimize" },
      space,
      sampler: { name: "grid", grid_size: 100_000 },
      run: { command: "true" },
    };
    const r = await browser.trpc("study.create", { projectId, spec }, { org: orgId });
    expect(r.status).toBe(400);
    expect(r.body.error?.data?.userMessage).toMatch(
      /^sampler\.grid_size: the grid over 62 parameters at 100000 points per axis has about 10\^310 points/,
    );
    expect(await rowCount("studies")).toBe(0);
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  });

  it(`a batch of more than ${MAX_TRPC_BATCH_SIZE} calls through Next: 400 naming the limit`, async () => {
    const { browser } = await signedInUser("batch");
    const ok = await browser.fetch(`/api/trpc/${Array(MAX_TRPC_BATCH_SIZE).fill("auth.me").join(",")}?batch=1`);
    expect(ok.status).toBe(200);
    const big = await browser.fetch(
      `/api/trpc/${Array(MAX_TRPC_BATCH_SIZE + 1)
        .fill("auth.me")
        .join(",")}?batch=1`,
    );
    expect(big.status).toBe(400);
    expect(((await big.json()) as { error: { data: { userMessage: string } } }).error.data.userMessage).toBe(
      `A batch may hold at most ${MAX_TRPC_BATCH_SIZE} calls; this one has ${MAX_TRPC_BATCH_SIZE + 1}. Send fewer calls per request.`,
    );
  });
});
