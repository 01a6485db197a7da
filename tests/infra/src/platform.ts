import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import path from "node:path";
import { createDb, type DbHandle } from "@autoglm/db/client";
import { withDatabase } from "@autoglm/db/testing";
import { seedRunStudy, seedTeam, seedToken } from "@autoglm/scheduler/testing";
import { repoRoot } from "./tools.js";

/** A free local port (what a container's port becomes on this machine). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/** An empty database (no schema at all) on the PostgreSQL server of `baseUrl`, and how to drop it. */
export async function emptyDatabase(baseUrl: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `autoglm_infra_${randomUUID().replace(/-/g, "").slice(0, 12)}`;
  const admin = await createDb({ url: baseUrl, migrate: false, poolSize: 1 });
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.close();
  }
  return {
    url: withDatabase(baseUrl, name),
    async drop() {
      const a = await createDb({ url: baseUrl, migrate: false, poolSize: 1 });
      try {
        await a.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await a.close();
      }
    },
  };
}

/** How many migrations the repository ships (drizzle's journal). */
export function migrationCount(): number {
  const journal = JSON.parse(readFileSync(path.join(repoRoot, "packages/db/drizzle/meta/_journal.json"), "utf8")) as {
    entries: unknown[];
  };
  return journal.entries.length;
}

/** Rows in drizzle's record of applied migrations: all of them, and distinct ones. */
export async function appliedMigrations(db: DbHandle): Promise<{ rows: number; distinct: number }> {
  const [r] = await db.query<{ rows: string; distinct: string }>(
    `SELECT count(*) AS rows, count(DISTINCT hash) AS distinct FROM drizzle.__drizzle_migrations`,
  );
  return { rows: Number(r!.rows), distinct: Number(r!.distinct) };
}

export interface SeededTeam {
  agentToken: string;
  readToken: string;
  studyId: string;
}

/**
 * A team with an agent token, a read token and a study its agents run: the built-in mlp on
 * digits (so a trial loads @autoglm/native, as in the agent image), two short trials.
 */
export async function seedTeamWithStudy(db: DbHandle): Promise<SeededTeam> {
  const team = await seedTeam(db, "infra");
  const agentToken = await seedToken(db, team, { scopes: ["agent"] });
  const readToken = await seedToken(db, team, { scopes: ["read"] });
  const studyId = await seedRunStudy(db, team, {
    objective: { metric: "accuracy", direction: "maximize" },
    space: { learning_rate: { type: "float", low: 2e-3, high: 1e-2, log: true }, width: { type: "int", low: 16, high: 32 } },
    sampler: { name: "random", seed: 3 },
    budget: { max_trials: 2, max_parallel: 2 },
    run: { builtin: { trainer: "mlp", dataset: "digits", epochs: 1 } },
  });
  return { agentToken, readToken, studyId };
}

/** A tRPC query as a program would make it (Bearer token), returning `result.data`. */
export async function query<T>(baseUrl: string, token: string, procedure: string, input: unknown): Promise<T> {
  const url = `${baseUrl}/api/trpc/${procedure}?input=${encodeURIComponent(JSON.stringify(input))}`;
  const res = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
  const body = (await res.json()) as { result?: { data: T }; error?: unknown };
  if (!res.ok || !body.result) throw new Error(`${procedure}: HTTP ${res.status} ${JSON.stringify(body.error)}`);
  return body.result.data;
}

export interface AgentSeen {
  name: string;
  isOnline: boolean;
  labels: Record<string, string>;
}

export interface TrialSeen {
  state: string;
  value: number | null;
}

/** Waits until the agent named `agentName` is online and every trial of the study completed, through the API. */
export async function waitForTrialsByAgent(
  baseUrl: string,
  seeded: SeededTeam,
  agentName: string,
  timeoutMs: number,
  agentProcess: { output(): string; child: { exitCode: number | null } },
): Promise<{ agent: AgentSeen; trials: TrialSeen[] }> {
  const output = () => agentProcess.output();
  const deadline = Date.now() + timeoutMs;
  let last = "";
  while (Date.now() < deadline) {
    if (agentProcess.child.exitCode !== null) throw new Error(`the agent exited ${agentProcess.child.exitCode}:\n${output()}`);
    const agents = await query<AgentSeen[]>(baseUrl, seeded.readToken, "agent.list", {});
    const trials = (await query<{ items: TrialSeen[] }>(baseUrl, seeded.readToken, "trial.list", { studyId: seeded.studyId }))
      .items;
    const agent = agents.find((a) => a.name === agentName);
    last = JSON.stringify({ agents, trials });
    if (agent && trials.length === 2 && trials.every((t) => t.state === "complete")) return { agent, trials };
    if (trials.some((t) => t.state === "failed")) throw new Error(`a trial failed: ${last}\n${output()}`);
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`trials not completed by agent ${agentName} within ${timeoutMs} ms: ${last}\n${output()}`);
}
