import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect } from "vitest";
import { createTestDb, type TestDb } from "@autoglm/db/testing";
import { startServer, type RunningServer } from "../src/server.js";
import { Browser } from "./helpers.js";

/**
 * One server per test file: Next.js keeps process-wide state, so a second server started in
 * the same process after the first misbehaves.
 */
export const PASSWORD = "correct horse battery";

export interface Platform {
  db: TestDb;
  server: RunningServer;
  dataDir: string;
}

export async function startPlatform(env: { TRUSTED_PROXIES: string }): Promise<Platform> {
  const db = await createTestDb();
  const dataDir = mkdtempSync(path.join(tmpdir(), "autoglm-auth-test-"));
  const server = await startServer({
    port: 0,
    host: "127.0.0.1",
    db,
    dataDir,
    env: { NODE_ENV: "production", ...env },
    log: () => {},
  });
  return { db, server, dataDir };
}

export async function stopPlatform(p: Platform | undefined): Promise<void> {
  if (!p) return;
  await p.server.close();
  await p.db.drop();
  rmSync(p.dataDir, { recursive: true, force: true });
}

/** A browser from one client address (sent as X-Forwarded-For; believed only via a trusted proxy). */
export class ClientAt extends Browser {
  constructor(
    base: string,
    readonly address?: string,
  ) {
    super(base);
  }
  override fetch(p: string, init: RequestInit & { headers?: Record<string, string> } = {}): Promise<Response> {
    const headers: Record<string, string> = { ...(init.headers ?? {}) };
    if (this.address) headers["x-forwarded-for"] = this.address;
    return super.fetch(p, { ...init, headers });
  }
  async signOut(): Promise<Response> {
    const csrf = (await (await this.fetch("/api/auth/csrf")).json()) as { csrfToken: string };
    return this.fetch("/api/auth/signout", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ csrfToken: csrf.csrfToken, json: "true", callbackUrl: "/signin" }).toString(),
    });
  }
}

export async function newAccount(base: string, tag: string, address?: string) {
  const browser = new ClientAt(base, address);
  const email = `${tag}-${Date.now()}@example.com`;
  await browser.call("auth.signUp", { email, password: PASSWORD, name: tag });
  const res = await browser.signIn(email, PASSWORD);
  expect(res.status).toBe(200);
  return { browser, email };
}

export async function signInStatuses(b: Browser, email: string, passwords: string[]): Promise<number[]> {
  const out: number[] = [];
  for (const pw of passwords) {
    const res = await b.signIn(email, pw);
    await res.arrayBuffer();
    out.push(res.status);
  }
  return out;
}

export const wrong = (n: number, tag: string) => Array.from({ length: n }, (_, i) => `wrong ${tag} ${i}`);
