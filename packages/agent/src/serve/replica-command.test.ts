import { randomBytes, randomUUID } from "node:crypto";
import { chmodSync, copyFileSync, mkdtempSync, realpathSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Logger } from "@autoglm/protocol";
import { afterAll, beforeAll, expect, it } from "vitest";
import { cleanup, isAlive, waitFor } from "../testing/harness.js";
import { callReplica } from "../testing/serve-fixtures.js";
import { defaultTrialUser } from "../trial-user.js";
import { ReplicaProcess } from "./replica-process.js";

/**
 * Flavor `command` in a real replica child (dist/serve/replica-main.js: build the package
 * first): the team's server (test-fixtures/team-server.mjs, a node http server) started in the
 * model's directory as the trial user, proxied with the replica's gate, restarted when it dies,
 * stopped with SIGTERM on drain, and refused with a reason when it never becomes healthy.
 */

const fixtures = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../test-fixtures");
const secret = randomBytes(24).toString("hex");
const weights = [0.5, -1, 2];
let dir: string;
const lines: string[] = [];
const logger: Logger = {
  debug() {},
  info: (m, f) => void (m === "replica output" && lines.push(String(f?.line))),
  warn() {},
  error() {},
};

/** A model directory as the agent leaves it: the version's files, readable by the trial user. */
function modelDir(): string {
  const d = mkdtempSync(path.join(dir, "model-"));
  chmodSync(d, 0o755);
  copyFileSync(path.join(fixtures, "team-server.mjs"), path.join(d, "serve.mjs"));
  writeFileSync(path.join(d, "model.json"), JSON.stringify({ weights, bias: 1 }));
  for (const f of ["serve.mjs", "model.json"]) chmodSync(path.join(d, f), 0o644);
  return d;
}

function startCommand(
  command: string,
  o: { onReady(url: string): void; onFailed(reason: string): void; startupTimeoutS?: number },
): ReplicaProcess {
  const p = new ReplicaProcess({
    config: {
      modelDir: modelDir(),
      flavor: "command",
      command: {
        command,
        health: "/ping",
        startupTimeoutS: o.startupTimeoutS ?? 30,
        runAs: defaultTrialUser(),
        cookie: randomUUID(),
        stopGraceMs: 2_000,
      },
      endpoint: "own",
      model: "own-model",
      version: 7,
      secret,
      host: "127.0.0.1",
    },
    gpus: [],
    agentEnv: process.env,
    envAllowlist: [],
    logger,
    maxRestarts: 3,
    startTimeoutMs: 30_000,
    onReady: o.onReady,
    onFailed: o.onFailed,
  });
  p.start();
  return p;
}

let replica: ReplicaProcess;
let url: string;
const readies: string[] = [];
const failures: string[] = [];
const call = (p: string, init?: Parameters<typeof callReplica>[2]) => callReplica(url + p, secret, init);

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "autoglm-replica-command-"));
  chmodSync(dir, 0o755);
  replica = startCommand("node serve.mjs --port {port}", { onReady: (u) => readies.push(u), onFailed: (r) => failures.push(r) });
  url = await waitFor(() => readies[0], 30_000, "the command replica ready");
});

afterAll(async () => {
  await replica?.stop(1_000);
  if (dir) cleanup(dir);
});

it("proxies to the team's server, which runs in the model's directory as the trial user and never sees the secret", async () => {
  const answer = await call("/invocations", {
    body: JSON.stringify({
      inputs: [
        [1, 1, 1],
        [2, 0, 0],
      ],
    }),
  });
  expect(answer.status).toBe(200);
  expect(answer.json).toEqual({ predictions: [2.5, 2] });
  expect(answer.headers.get("x-autoglm-model-version")).toBe("7");
  expect(answer.headers.get("x-autoglm-model")).toBe("own-model");

  const who = (await call("/whoami?a=1&b=2")).json as {
    uid: number;
    cwd: string;
    port: number;
    env: Record<string, string>;
    authorization: string | null;
    query: string;
  };
  expect(who.uid).toBe(defaultTrialUser()?.uid ?? process.getuid!());
  expect(realpathSync(who.cwd)).toBe(realpathSync(who.env.AUTOGLM_MODEL_DIR!));
  expect(who.env.PORT).toBe(String(who.port));
  expect(who.env.AUTOGLM_MODEL_VERSION).toBe("7");
  expect(who.authorization).toBeNull();
  expect(who.query).toBe("?a=1&b=2");
  expect(lines.some((l) => l.startsWith("team server: listening on"))).toBe(true);

  // Without the gateway's secret nothing reaches the team's server.
  const refused = await fetch(`${url}/invocations`, { method: "POST", body: "{}", headers: { authorization: "Bearer nope" } });
  expect(refused.status).toBe(401);
  expect(await refused.json()).toMatchObject({ error_code: "UNAUTHENTICATED" });
  expect(refused.headers.get("x-team-pid")).toBeNull();
});

it("streams bodies both ways and forwards the server's own errors", async () => {
  const big = randomBytes(3 * 1024 * 1024).toString("base64");
  const echoed = await call("/echo", { body: big, headers: { "content-type": "text/plain" } });
  expect(echoed.status).toBe(200);
  expect(echoed.text).toBe(big);
  const slow = await fetch(`${url}/slow`, { headers: { authorization: `Bearer ${secret}` } });
  const reader = slow.body!.getReader();
  // The first chunk arrives before the server has written the second (300 ms later).
  expect(new TextDecoder().decode((await reader.read()).value)).toBe("first\n");
  let rest = "";
  for (let r = await reader.read(); !r.done; r = await reader.read()) rest += new TextDecoder().decode(r.value);
  expect(rest).toBe("second\n");
  const bad = await call("/invocations", { body: JSON.stringify({ inputs: [[1]] }) });
  expect(bad.status).toBe(400);
  expect(bad.json).toEqual({ error_code: "BAD_REQUEST", message: "inputs must be rows of 3 numbers" });
  expect(bad.headers.get("x-autoglm-model-version")).toBe("7");
});

it("answers 503 with Retry-After when the team's server dies under a request, and serves again after the restart", async () => {
  const died = await call("/exit");
  expect(died.status).toBe(503);
  expect(died.headers.get("retry-after")).toBe("1");
  expect(died.json).toMatchObject({ error_code: "TEMPORARILY_UNAVAILABLE" });
  expect(died.json.message).toMatch(/^the team's server did not answer \((ECONNRESET|socket hang up)\)$/);
  await waitFor(async () => (await call("/ping").catch(() => null))?.status === 200, 30_000, "the restarted replica answering");
  expect(failures).toEqual([]);
});

it("restarts the replica when the team's server is killed with SIGKILL, and serves again", async () => {
  const pid = Number((await call("/ping")).headers.get("x-team-pid"));
  expect(isAlive(pid)).toBe(true);
  process.kill(pid, "SIGKILL");
  const next = await waitFor(
    async () => {
      const r = await call("/invocations", { body: JSON.stringify({ inputs: [[0, 0, 0]] }) }).catch(() => null);
      const served = r?.status === 200 ? Number(r.headers.get("x-team-pid")) : 0;
      return served && served !== pid ? { served, body: r!.json } : null;
    },
    30_000,
    "the restarted team server answering",
  );
  expect(next.body).toEqual({ predictions: [1] });
  expect(replica.url).toBe(url);
  expect(failures).toEqual([]);
});

it("never leaves the team's server behind its replica process: SIGKILL of the replica takes the server too", async () => {
  const team = Number((await call("/ping")).headers.get("x-team-pid"));
  const child = replica.pid!;
  process.kill(child, "SIGKILL");
  await waitFor(() => !isAlive(team), 5_000, "the old team server gone");
  const next = await waitFor(
    async () => Number((await call("/ping").catch(() => null))?.headers.get("x-team-pid")) || null,
    30_000,
    "the restarted replica's own team server",
  );
  expect(next).not.toBe(team);
  expect(failures).toEqual([]);
});

it("stops the team's server with SIGTERM when the replica drains, leaving no process behind", async () => {
  const pid = Number((await call("/ping")).headers.get("x-team-pid"));
  const child = replica.pid!;
  await replica.stop(2_000);
  expect(lines).toContain("team server: SIGTERM, closing");
  await waitFor(() => !isAlive(pid) && !isAlive(child), 5_000, "the team server and the replica gone");
});

it("fails with a reason when the server never becomes healthy, or exits before it does", async () => {
  const failed: string[] = [];
  const never = startCommand("node serve.mjs --port {port} --never-ready", {
    onReady: () => failed.push("ready?"),
    onFailed: (r) => failed.push(r),
    startupTimeoutS: 1,
  });
  const reason = await waitFor(() => failed[0], 20_000, "the never-ready replica to fail");
  expect(reason).toContain("did not answer GET /ping with 200 within serve.startup_timeout_s (1 s): it answered 503");
  await waitFor(() => never.pid === undefined, 5_000, "the replica process gone");

  const crashed: string[] = [];
  startCommand("node missing.mjs", { onReady: () => crashed.push("ready?"), onFailed: (r) => crashed.push(r) });
  const why = await waitFor(() => crashed[0], 20_000, "the crashing replica to fail");
  expect(why).toMatch(
    /^the serve command failed: .*exited with code 1 before GET \/ping answered 200; its last output: .*MODULE_NOT_FOUND/,
  );
});
