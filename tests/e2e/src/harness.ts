import { spawn, type ChildProcess } from "node:child_process";
import { chmodSync, copyFileSync, cpSync, createWriteStream, existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createTestDb, type TestDb } from "@autoglm/db/testing";
import { chromium, type Browser } from "playwright-core";

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
export const resultsDir = path.join(repoRoot, "test-results");
const CHROMIUM = "/usr/bin/chromium";

/**
 * A directory for agent processes (their work dirs and current directory) that the trials
 * they run can reach: nobody, when the tests run as root, and the checkout may sit where
 * nobody cannot enter (a clone in a mode-0700 `mktemp -d`). It holds copies of examples/
 * (the demo's `node examples/demo/branin-curve.mjs`) and of the Python helper.
 */
export function openAgentDir(prefix: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  chmodSync(dir, 0o755);
  cpSync(path.join(repoRoot, "examples"), path.join(dir, "examples"), { recursive: true });
  copyFileSync(path.join(repoRoot, "packages/agent/python/autoglm_report.py"), path.join(dir, "autoglm_report.py"));
  return dir;
}

export interface Platform {
  url: string;
  port: number;
  /** The PostgreSQL database it uses (undefined on PGlite). */
  databaseUrl: string | undefined;
  /** The server process (fault tests kill it). */
  child: ChildProcess;
  /** What the process printed so far (stdout and stderr). */
  output(): string;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      srv.close(() => resolve(typeof addr === "object" && addr ? addr.port : 0));
    });
  });
}

/**
 * Starts the real server process (`apps/server/dist/main.js`) on a free loopback port with
 * a database of its own: a fresh PostgreSQL database when DATABASE_URL is set, else an
 * embedded PGlite directory. Its output goes to test-results/logs (scanned for secrets).
 */
export async function startPlatform(
  name: string,
  args: string[] = [],
  shared: { databaseUrl?: string | undefined; port?: number; env?: Record<string, string> } = {},
): Promise<Platform> {
  const port = shared.port ?? (await freePort());
  const url = `http://127.0.0.1:${port}`;
  const dataDir = mkdtempSync(path.join(tmpdir(), "autoglm-e2e-"));
  let testDb: TestDb | undefined;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: "production",
    PORT: String(port),
    HOST: "127.0.0.1",
    PUBLIC_URL: url,
    AUTOGLM_DATA_DIR: dataDir,
    AUTH_SECRET: "e2e-only-secret-0123456789abcdef0123456789abcdef",
    ...shared.env,
  };
  if (shared.databaseUrl) {
    // Another replica's database: this process is a second server on it.
    env.DATABASE_URL = shared.databaseUrl;
  } else if (process.env.DATABASE_URL) {
    testDb = await createTestDb();
    env.DATABASE_URL = testDb.url;
  } else {
    delete env.DATABASE_URL;
  }
  mkdirSync(path.join(resultsDir, "logs"), { recursive: true });
  const log = createWriteStream(path.join(resultsDir, "logs", `e2e-server-${name}.log`));
  const child: ChildProcess = spawn(process.execPath, [path.join(repoRoot, "apps/server/dist/main.js"), ...args], {
    cwd: repoRoot,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  let printed = "";
  const keep = (chunk: Buffer) => {
    if (printed.length < 1_000_000) printed += chunk.toString("utf8");
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);

  const deadline = Date.now() + 90_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}; see test-results/logs`);
    try {
      const res = await fetch(`${url}/healthz`);
      if (res.ok) break;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) throw new Error("server did not become healthy within 90 s");
    await new Promise((r) => setTimeout(r, 250));
  }

  return {
    url,
    port,
    databaseUrl: env.DATABASE_URL,
    child,
    output: () => printed,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once("exit", r));
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
        await exited;
        clearTimeout(timer);
      }
      log.end();
      rmSync(dataDir, { recursive: true, force: true });
      if (testDb) await testDb.drop().catch(() => undefined);
    },
  };
}

/** Debian's Chromium, never a downloaded browser. Returns null (with the reason printed) when absent outside CI. */
export async function launchBrowser(): Promise<Browser | null> {
  if (!existsSync(CHROMIUM)) {
    if (process.env.CI) throw new Error(`${CHROMIUM} is missing; .ci/run installs it with apt-get`);
    console.warn(`SKIP browser tests: ${CHROMIUM} not installed (apt-get install -y chromium)`);
    return null;
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking", "--disable-dev-shm-usage"],
  });
}
