import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmod, mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createTestDb, type TestDb } from "@autoglm/db/testing";
import { createClient, type AutoglmClient } from "../../src/index.js";

const REPO = fileURLToPath(new URL("../../../..", import.meta.url));
const SERVER_JS = join(REPO, "apps/server/dist/main.js");
const AGENT_JS = join(REPO, "packages/agent/dist/cli.js");

export interface LivePlatform {
  url: string;
  /** The server's AUTOGLM_DATA_DIR: the local artifact store lives in its `artifacts/`. */
  dataDir: string;
  /** A directory every user may enter (trials of an agent running as root run as nobody). */
  shared: string;
  /** A read+write API token of the team, and a client with it. */
  token: string;
  client: AutoglmClient;
  projectId: string;
  /** Starts an agent of the team (a child process) that runs the team's trials. */
  startAgent(): Promise<void>;
  close(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
    s.once("error", reject);
  });
}

/** The environment without the developer's own AUTOGLM_* (they must not leak into a test). */
function cleanEnv(extra: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith("AUTOGLM_")) env[k] = v;
  return { ...env, ...extra };
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill("SIGKILL"), 20_000);
    child.once("exit", () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill("SIGTERM");
  });
}

async function waitHealthy(url: string, server: ChildProcess, log: () => string): Promise<void> {
  for (const deadline = Date.now() + 90_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 250))) {
    if (server.exitCode !== null) throw new Error(`the server exited with ${server.exitCode}:\n${log().slice(-3000)}`);
    const ok = await fetch(`${url}/healthz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
  }
  throw new Error(`the server did not become healthy in 90 s:\n${log().slice(-3000)}`);
}

/** Sign-up, sign-in (next-auth's form, cookies kept by hand) and two tokens: what a person does on the dashboard. */
async function makeTeam(url: string): Promise<{ token: string; agentToken: string }> {
  const cookies = new Map<string, string>();
  const go = async (path: string, init: RequestInit & { headers?: Record<string, string> } = {}) => {
    const headers = { ...init.headers, origin: url, cookie: [...cookies].map(([k, v]) => `${k}=${v}`).join("; ") };
    const res = await fetch(url + path, { ...init, headers, redirect: "manual" });
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(";");
      const eq = pair!.indexOf("=");
      cookies.set(pair!.slice(0, eq).trim(), pair!.slice(eq + 1).trim());
    }
    return res;
  };
  const json = { "content-type": "application/json" };
  const email = `models-${randomBytes(4).toString("hex")}@example.com`;
  const password = randomBytes(12).toString("base64url");
  await go("/api/trpc/auth.signUp", {
    method: "POST",
    headers: json,
    body: JSON.stringify({ email, password, name: "Models", teamName: "Models" }),
  });
  const { csrfToken } = (await (await go("/api/auth/csrf")).json()) as { csrfToken: string };
  const form = new URLSearchParams({ email, password, csrfToken, json: "true" }).toString();
  await go("/api/auth/callback/credentials", {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: form,
  });
  const orgs = (await (await go("/api/trpc/org.list")).json()) as { result: { data: Array<{ id: string }> } };
  const org = { ...json, "x-autoglm-org": orgs.result.data[0]!.id };
  const token = async (scopes: string[]) => {
    const res = await go("/api/trpc/token.create", {
      method: "POST",
      headers: org,
      body: JSON.stringify({ name: scopes.join("+"), scopes }),
    });
    return ((await res.json()) as { result: { data: { token: string } } }).result.data.token;
  };
  return { token: await token(["read", "write"]), agentToken: await token(["agent"]) };
}

/**
 * The whole platform as a user runs it: `node apps/server/dist/main.js` on a free loopback port
 * with its own data dir (embedded PGlite there, or a fresh clone of the migrated template when
 * DATABASE_URL is set) and the local artifact store, a team made through the HTTP API, and on
 * demand a real agent (`packages/agent/dist/cli.js`) whose trials upload their output dirs.
 */
export async function startLivePlatform(): Promise<LivePlatform> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const dataDir = await mkdtemp(join(tmpdir(), "autoglm-sdk-platform-"));
  const shared = await mkdtemp(join(tmpdir(), "autoglm-sdk-trials-"));
  await chmod(shared, 0o777);
  const db: TestDb | null = process.env.DATABASE_URL ? await createTestDb() : null;
  let log = "";
  const server = spawn(process.execPath, [SERVER_JS], {
    cwd: REPO,
    env: cleanEnv({
      NODE_ENV: "production",
      PORT: String(port),
      HOST: "127.0.0.1",
      PUBLIC_URL: url,
      AUTOGLM_DATA_DIR: dataDir,
      AUTH_SECRET: randomBytes(32).toString("base64url"),
      ...(db ? { DATABASE_URL: db.url } : {}),
    }),
    stdio: ["ignore", "pipe", "pipe"],
  });
  server.stdout!.setEncoding("utf8").on("data", (d: string) => (log += d));
  server.stderr!.setEncoding("utf8").on("data", (d: string) => (log += d));
  const agents: ChildProcess[] = [];
  const close = async () => {
    for (const a of agents) await stopChild(a);
    await stopChild(server);
    await db?.drop();
    await rm(dataDir, { recursive: true, force: true });
    await rm(shared, { recursive: true, force: true });
  };
  try {
    await waitHealthy(url, server, () => log);
    const { token, agentToken } = await makeTeam(url);
    const client = createClient({ server: url, token });
    const { id: projectId } = await client.projects.create({ name: "Registry" });
    const startAgent = async () => {
      const work = join(shared, `agent-${agents.length}`);
      const agent = spawn(
        process.execPath,
        [AGENT_JS, "start", "--server", url, "--work-dir", work, "--no-gpus", "--max-trials", "1"],
        {
          cwd: shared,
          env: cleanEnv({ AUTOGLM_TOKEN: agentToken }),
          stdio: ["ignore", "pipe", "pipe"],
        },
      );
      agent.stdout!.setEncoding("utf8").on("data", (d: string) => (log += d));
      agent.stderr!.setEncoding("utf8").on("data", (d: string) => (log += d));
      agents.push(agent);
    };
    return { url, dataDir, shared, token, client, projectId, startAgent, close };
  } catch (err) {
    await close();
    throw err;
  }
}
