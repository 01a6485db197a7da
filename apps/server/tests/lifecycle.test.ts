import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDb, type TestDb } from "@autoglm/db/testing";

const MAIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../dist/main.js");

let db: TestDb | undefined;
let dataDir: string;

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), "autoglm-main-test-"));
  // With DATABASE_URL the child gets a fresh cloned database; without, PGlite on disk.
  if (process.env.DATABASE_URL) db = await createTestDb();
});

afterAll(async () => {
  await db?.drop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe("node apps/server/dist/main.js", () => {
  it("starts, seeds the demo, prints the URL and sign-in, serves /healthz, and exits 0 on SIGTERM", async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, PORT: "0", HOST: "127.0.0.1", AUTOGLM_DATA_DIR: dataDir };
    delete env.DATABASE_URL;
    if (db?.url) env.DATABASE_URL = db.url;
    const child = spawn(process.execPath, [MAIN, "--seed-demo"], { env, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (c: Buffer) => (out += c.toString()));
    child.stderr.on("data", (c: Buffer) => (out += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    try {
      const deadline = Date.now() + 90_000;
      while (!/ready in/.test(out) && Date.now() < deadline) {
        if (child.exitCode !== null) throw new Error(`server exited early:\n${out}`);
        await new Promise((r) => setTimeout(r, 200));
      }
      const url = /Open-AutoGLM is running at (http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1];
      expect(url, out).toBeDefined();
      expect(out).toContain("Demo sign-in: demo@autoglm.dev / autoglm-demo");
      const health = await fetch(`${url}/healthz`);
      expect(health.status).toBe(200);
      child.kill("SIGTERM");
      expect(await exited).toBe(0);
      // The port is free again.
      await expect(fetch(`${url}/healthz`)).rejects.toThrow();
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
    }
  }, 120_000);
});
