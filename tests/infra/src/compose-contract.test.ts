import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createDb } from "@autoglm/db/client";
import { afterAll, describe, expect, it } from "vitest";
import { composeContainer, interpolate, readCompose, type ComposeService } from "./compose.js";
import { readImage, type ImageConfig } from "./dockerfile.js";
import { emptyDatabase, freePort, seedTeamWithStudy, waitForTrialsByAgent } from "./platform.js";
import { startContainer, type ContainerSpec, type PodWorld, type StartedContainer } from "./pod.js";
import { repoRoot } from "./tools.js";

/**
 * docker-compose.yml, run as `docker compose up` would run it, without Docker: the server and
 * agent services' commands from their Dockerfiles' ENTRYPOINT/CMD and the file's command and
 * environment (with compose's variable substitution), the postgres service standing in as the
 * local PostgreSQL, the server's health from the image's own HEALTHCHECK command (what
 * `depends_on: service_healthy` waits for), then the agent registering and running trials.
 */
const baseUrl = process.env.DATABASE_URL;
if (!baseUrl) console.log("SKIPPED the compose contract run: its postgres service needs a PostgreSQL server (set DATABASE_URL)");

const logs = path.join(repoRoot, "test-results", "logs");
const scratch = mkdtempSync(path.join(tmpdir(), "autoglm-compose-"));
// Open like an emptyDir's parents: an agent started as root (CI) runs its trials as nobody.
chmodSync(scratch, 0o777);
const running: StartedContainer[] = [];
const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  await Promise.all(running.map((c) => c.stop("SIGKILL")));
  for (const c of cleanups) await c();
  rmSync(scratch, { recursive: true, force: true });
});

const VARS = { AUTH_SECRET: "compose-contract-auth-secret-0123456789abcdef", POSTGRES_PASSWORD: "compose-pw" };

function imageOf(service: ComposeService): ImageConfig {
  expect(service.build?.context).toBe("..");
  return readImage(service.build!.dockerfile);
}

async function world(container: ContainerSpec, name: string, services: Record<string, string>): Promise<PodWorld> {
  const ports: Record<number, number> = {};
  for (const p of container.ports ?? []) ports[p.containerPort] = await freePort();
  return {
    secrets: {},
    fields: {},
    services,
    ports,
    scratch: path.join(scratch, name),
    logFile: path.join(logs, `infra-compose-${name}.log`),
  };
}

/** The image's HEALTHCHECK command (exec form), run with the container's environment, until it exits 0. */
async function waitHealthy(image: ImageConfig, started: StartedContainer, timeoutMs: number): Promise<string[]> {
  const healthcheck = image.runtime.find((r) => r.keyword === "HEALTHCHECK");
  const cmd = JSON.parse(/CMD\s+(\[[\s\S]*\])\s*$/.exec(healthcheck?.args ?? "")?.[1] ?? "null") as string[] | null;
  if (!cmd) throw new Error(`${image.file}: no exec-form HEALTHCHECK CMD`);
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (started.child.exitCode !== null) throw new Error(`server exited ${started.child.exitCode}:\n${started.output()}`);
    if (spawnSync(cmd[0]!, cmd.slice(1), { env: started.env, timeout: 3_000 }).status === 0) return cmd;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`HEALTHCHECK never passed within ${timeoutMs} ms:\n${started.output()}`);
}

describe("docker-compose.yml", () => {
  it("refuses to start without AUTH_SECRET, naming it", () => {
    expect(() => readCompose({})).toThrow(/AUTH_SECRET: set AUTH_SECRET to a long random string/);
  });

  it("starts PostgreSQL, the server and one agent by default; Prometheus and Grafana only with --profile monitoring", () => {
    const { services } = readCompose(VARS);
    const byDefault = Object.entries(services).filter(([, s]) => !s.profiles?.length);
    expect(byDefault.map(([n]) => n).sort()).toEqual(["agent", "postgres", "server"]);
    expect(services.prometheus!.profiles).toEqual(["monitoring"]);
    expect(services.grafana!.profiles).toEqual(["monitoring"]);
    // The configuration files they mount exist.
    for (const s of [services.prometheus!, services.grafana!]) {
      for (const v of s.volumes ?? []) expect(existsSync(path.join(repoRoot, "infra", v.split(":")[0]!)), v).toBe(true);
    }
  });

  it.skipIf(!baseUrl)(
    "runs the server and the agent from the images' entrypoints: healthy, registered, trials done",
    async () => {
      const database = await emptyDatabase(baseUrl!);
      cleanups.push(() => database.drop());
      const { services } = readCompose(VARS);
      const server = composeContainer("server", services.server!);
      const serverImage = imageOf(services.server!);
      // The postgres service's URL as the server sees it → the fresh database on the local server.
      const composeDbUrl = interpolate("postgres://postgres:${POSTGRES_PASSWORD:-postgres}@postgres:5432/autoglm", VARS);
      expect(server.env!.find((e) => e.name === "DATABASE_URL")?.value).toBe(composeDbUrl);
      const serverWorld = await world(server, "server", { [composeDbUrl]: database.url });
      const serverProc = startContainer(serverImage, server, serverWorld);
      running.push(serverProc);
      await waitHealthy(serverImage, serverProc, 180_000);

      const db = await createDb({ url: database.url, migrate: false, poolSize: 2 });
      cleanups.unshift(() => db.close());
      const seeded = await seedTeamWithStudy(db);
      const serverUrl = `http://127.0.0.1:${serverWorld.ports[3000]}`;
      const agent = composeContainer("agent", services.agent!);
      const agentWorld = await world(agent, "agent", { "http://server:3000": serverUrl });
      // Before the operator has made a token: the agent exits with the reason (restart: on-failure).
      const agentProc = startContainer(imageOf(services.agent!), agent, agentWorld);
      running.push(agentProc);
      expect(agentProc.env.AUTOGLM_TOKEN).toBe("");
      expect(await agentProc.exited).toBe(2);
      expect(agentProc.output()).toContain("a token with the agent scope is required");

      // With the token exported as AUTOGLM_AGENT_TOKEN (`docker compose up -d agent`).
      const withToken = composeContainer(
        "agent",
        readCompose({ ...VARS, AUTOGLM_AGENT_TOKEN: seeded.agentToken }).services.agent!,
      );
      const agentProc2 = startContainer(imageOf(services.agent!), withToken, agentWorld);
      running.push(agentProc2);
      const { agent: seen, trials } = await waitForTrialsByAgent(serverUrl, seeded, "compose-agent", 180_000, agentProc2);
      expect(seen.isOnline).toBe(true);
      for (const t of trials) expect(t.value).toBeGreaterThan(0.3);
      expect(await agentProc2.stop("SIGTERM")).toBe(0);
      expect(await serverProc.stop("SIGTERM")).toBe(0);
    },
  );
});
