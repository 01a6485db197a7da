import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDb, type TestDb } from "@autoglm/db/testing";
import { io as connectIo } from "socket.io-client";
import { Browser } from "./helpers.js";

const MAIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../dist/main.js");

type TLine = Record<string, unknown>;

let db: TestDb | undefined;
let dataDir: string;
let child: ChildProcess | undefined;
let out = "";
let url = "";

/** Every line the server printed, each parsed as JSON (a line that is not JSON fails the parse). */
function lines(): TLine[] {
  return out
    .split("\n")
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as TLine);
}

async function until<T>(what: string, find: () => T | undefined, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = find();
    if (found !== undefined) return found;
    if (child?.exitCode !== null) throw new Error(`server exited while waiting for ${what}:\n${out}`);
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}:\n${out.slice(-4000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), "autoglm-json-logs-"));
  // With DATABASE_URL the child gets a fresh cloned database; without, PGlite on disk.
  if (process.env.DATABASE_URL) db = await createTestDb();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: "0",
    HOST: "127.0.0.1",
    AUTOGLM_DATA_DIR: dataDir,
    LOG_FORMAT: "json",
    LOG_LEVEL: "debug",
  };
  delete env.DATABASE_URL;
  if (db?.url) env.DATABASE_URL = db.url;
  child = spawn(process.execPath, [MAIN], { env, stdio: ["ignore", "pipe", "pipe"] });
  child.stdout!.on("data", (c: Buffer) => (out += c.toString()));
  child.stderr!.on("data", (c: Buffer) => (out += c.toString()));
  url = await until("the ready line", () => /Open-AutoGLM is running at (http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1], 90_000);
}, 120_000);

afterAll(async () => {
  if (child && child.exitCode === null) {
    const exited = new Promise((r) => child!.once("exit", r));
    child.kill("SIGTERM");
    await exited;
  }
  await db?.drop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe("LOG_FORMAT=json", () => {
  const password = "correct horse battery staple 42";
  let token = "";
  let agentToken = "";
  let browser: Browser;
  let teamId = "";
  let userId = "";

  it("carries the request id from the HTTP request to its access line and its database work, with the team and user", async () => {
    browser = new Browser(url);
    const email = `logs-${Date.now()}@example.com`;
    await browser.call("auth.signUp", { email, password, name: "Logs", teamName: "Logs team" });
    expect((await browser.signIn(email, password)).status).toBe(200);
    const me = await browser.call<{ user: { id: string }; orgs: { id: string }[] }>("auth.me", undefined, { query: true });
    userId = me.user.id;
    teamId = me.orgs[0]!.id;
    ({ token } = await browser.call<{ token: string }>("token.create", { name: "ci", scopes: ["read"] }, { org: teamId }));
    expect(token).toMatch(/^agl_/);

    const res = await browser.fetch("/api/trpc/project.list", {
      headers: { "x-request-id": "test-123", "x-autoglm-org": teamId, "content-type": "application/json" },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-request-id")).toBe("test-123");

    const access = await until("the access line", () => lines().find((l) => l.msg === "request" && l.requestId === "test-123"));
    expect(access).toMatchObject({
      name: "server",
      level: 30,
      method: "GET",
      route: "/api/trpc/project.list",
      status: 200,
      teamId,
      userId,
    });
    expect(typeof access.ms).toBe("number");
    const dbWork = lines().filter((l) => l.msg === "db query" && l.requestId === "test-123");
    expect(dbWork.length).toBeGreaterThan(0);
    // The statements after the membership check carry the team as well; none carries a parameter.
    expect(dbWork.some((l) => l.teamId === teamId && l.userId === userId && /^select \w+$/.test(String(l.statement)))).toBe(true);
    // No other request's lines carry this id.
    expect(lines().filter((l) => l.requestId === "test-123" && l.msg === "request")).toHaveLength(1);
  });

  it("replaces an unusable x-request-id, and logs no query string (it may carry a token)", async () => {
    const res = await fetch(`${url}/api/trpc/auth.me?input=&token=${token}`, {
      headers: { "x-request-id": "not a sane id; <script>", authorization: `Bearer ${token}` },
    });
    expect(res.status).toBe(200);
    const id = res.headers.get("x-request-id")!;
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    const access = await until("the access line", () => lines().find((l) => l.msg === "request" && l.requestId === id));
    expect(access.route).toBe("/api/trpc/auth.me");
    expect(access.userId).toBeDefined();
  });

  it("runs each agent event in a context of its own: a fresh request id, the team, the user, then the agent", async () => {
    ({ token: agentToken } = await browser.call<{ token: string }>(
      "token.create",
      { name: "agent", scopes: ["agent"] },
      { org: teamId },
    ));
    const socket = connectIo(`${url}/agents`, { auth: { token: agentToken }, transports: ["websocket"], reconnection: false });
    try {
      await new Promise<void>((resolve, reject) => {
        socket.once("connect", resolve);
        socket.once("connect_error", reject);
      });
      const registration = {
        v: 1,
        name: "ctx-agent",
        host: "h",
        cpuCores: 1,
        memoryMb: 1,
        gpus: [],
        labels: {},
        maxTrials: 1,
        running: [],
      };
      const reg = (await socket.timeout(5_000).emitWithAck("agent:register", registration)) as { ok: boolean; agentId: string };
      expect(reg.ok).toBe(true);
      await socket.timeout(5_000).emitWithAck("agent:heartbeat", { v: 1, seq: 1, running: [] });
      const registered = await until("the registration line", () => lines().find((l) => l.msg === "agent registered"));
      expect(registered).toMatchObject({ agentId: reg.agentId, agentName: "ctx-agent", teamId, userId });
      expect(registered.requestId).toMatch(/^[0-9a-f-]{36}$/);
      // The heartbeat's database work: its own request id, and the agent id the registration set.
      const heartbeatWork = lines().filter((l) => l.msg === "db query" && l.agentId === reg.agentId);
      expect(heartbeatWork.length).toBeGreaterThan(0);
      expect(heartbeatWork.every((l) => l.teamId === teamId && l.requestId !== registered.requestId)).toBe(true);
    } finally {
      socket.disconnect();
    }
  });

  it("never prints the password or the API tokens (S10)", () => {
    expect(token.length).toBeGreaterThan(30);
    expect(out).not.toContain(password);
    for (const t of [token, agentToken]) {
      expect(out).not.toContain(t);
      expect(out).not.toContain(t.slice(4));
    }
    // Everything printed is JSON lines, the banner included.
    expect(lines().some((l) => String(l.msg).startsWith("Open-AutoGLM is running at"))).toBe(true);
  });
});
