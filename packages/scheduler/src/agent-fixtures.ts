import { randomUUID } from "node:crypto";
import type { DbHandle } from "@autoglm/db/client";
import { AGENT_SCOPE, primaryObjective, ZStudySpec, type TStudySpecInput } from "@autoglm/protocol";
import { generateApiToken } from "@autoglm/protocol/api-token";

/**
 * Seeding for run-loop tests and the scheduler benchmark (`@autoglm/scheduler/testing`, kept
 * out of the production entry points): a team with a user and a project,
 * an agent-scoped API token (stored hashed, as the api does), and studies with a `run`
 * section. Plain SQL through DbHandle, so it works on PGlite and PostgreSQL alike.
 */
export interface TeamFixture {
  orgId: string;
  userId: string;
  projectId: string;
}

export async function seedTeam(handle: DbHandle, name = "team"): Promise<TeamFixture> {
  const suffix = randomUUID().slice(0, 8);
  const [user] = await handle.query<{ id: string }>(
    `INSERT INTO users (email, name, password_hash) VALUES ($1, $2, 'x') RETURNING id`,
    [`${name}-${suffix}@example.test`, name],
  );
  const [org] = await handle.query<{ id: string }>(`INSERT INTO organizations (name, slug) VALUES ($1, $2) RETURNING id`, [
    name,
    `${name}-${suffix}`,
  ]);
  await handle.query(`INSERT INTO memberships (org_id, user_id, role) VALUES ($1, $2, 'owner')`, [org!.id, user!.id]);
  const [project] = await handle.query<{ id: string }>(
    `INSERT INTO projects (org_id, name, slug) VALUES ($1, 'default', $2) RETURNING id`,
    [org!.id, `default-${suffix}`],
  );
  return { orgId: String(org!.id), userId: String(user!.id), projectId: String(project!.id) };
}

export interface SeedTokenOptions {
  scopes?: string[];
  expiresAt?: Date | null;
  revoked?: boolean;
  /** The token's owner (default the team's owner); must be a member for the token to act. */
  userId?: string;
  /** Restricts the token to one project of the team. */
  projectId?: string | null;
}

/** Creates an API token (default scope `agent`) and returns the plaintext once. */
export async function seedToken(handle: DbHandle, team: TeamFixture, options: SeedTokenOptions = {}): Promise<string> {
  return (await seedTokenRow(handle, team, options)).token;
}

/** seedToken, also returning the token's id. */
export async function seedTokenRow(
  handle: DbHandle,
  team: TeamFixture,
  options: SeedTokenOptions = {},
): Promise<{ token: string; tokenId: string }> {
  const { token, prefix, hash } = generateApiToken();
  const [row] = await handle.query<{ id: string }>(
    `INSERT INTO api_tokens (org_id, user_id, name, prefix, token_hash, scopes, expires_at, revoked_at, project_id)
     VALUES ($1, $2, 'agent', $3, $4, string_to_array($5, ','), $6, $7, $8) RETURNING id`,
    [
      team.orgId,
      options.userId ?? team.userId,
      prefix,
      hash,
      (options.scopes ?? [AGENT_SCOPE]).join(","),
      options.expiresAt ?? null,
      options.revoked ? new Date() : null,
      options.projectId ?? null,
    ],
  );
  return { token, tokenId: String(row!.id) };
}

/** Adds a user to the team with a role; returns the user's id. */
export async function seedMember(
  handle: DbHandle,
  team: TeamFixture,
  role: "owner" | "admin" | "member" | "viewer",
  name: string = role,
): Promise<string> {
  const [user] = await handle.query<{ id: string }>(
    `INSERT INTO users (email, name, password_hash) VALUES ($1, $2, 'x') RETURNING id`,
    [`${name}-${randomUUID().slice(0, 8)}@example.test`, name],
  );
  await handle.query(`INSERT INTO memberships (org_id, user_id, role) VALUES ($1, $2, $3)`, [team.orgId, user!.id, role]);
  return String(user!.id);
}

/** A running study with a `run` section; `spec` overrides the defaults (minimize `loss`). */
export async function seedRunStudy(
  handle: DbHandle,
  team: TeamFixture,
  spec: Partial<TStudySpecInput> & { run: NonNullable<TStudySpecInput["run"]> },
): Promise<string> {
  const full = ZStudySpec.parse({
    name: `study-${randomUUID().slice(0, 6)}`,
    objective: { metric: "loss", direction: "minimize" },
    space: { x: { type: "float", low: 0, high: 1 } },
    ...spec,
  });
  const [row] = await handle.query<{ id: string }>(
    `INSERT INTO studies (org_id, project_id, name, spec, direction, metric, created_by)
     VALUES ($1, $2, $3, $4::jsonb, $5, $6, $7) RETURNING id`,
    [
      team.orgId,
      team.projectId,
      full.name,
      JSON.stringify(full),
      primaryObjective(full).direction,
      primaryObjective(full).metric,
      team.userId,
    ],
  );
  return String(row!.id);
}

/** Inserts `count` waiting trials directly (lease tests that bypass the sampler). */
export async function seedWaitingTrials(
  handle: DbHandle,
  team: TeamFixture,
  studyId: string,
  count: number,
  params: (i: number) => Record<string, unknown> = (i) => ({ x: (i % 100) / 100 }),
): Promise<void> {
  const items = Array.from({ length: count }, (_, i) => ({ n: i, p: params(i) }));
  for (let i = 0; i < items.length; i += 500) {
    const chunk = items.slice(i, i + 500);
    await handle.query(
      `WITH n AS (
         UPDATE studies SET next_trial_number = next_trial_number + $3 WHERE id = $2
         RETURNING next_trial_number - $3 AS base
       )
       INSERT INTO trials (org_id, study_id, number, state, params, created_at)
       SELECT $1, $2, n.base + x.i, 'waiting', x.p, now() + x.i * interval '1 microsecond'
       FROM n, jsonb_to_recordset($4::jsonb) AS x(i int, p jsonb)`,
      [team.orgId, studyId, chunk.length, JSON.stringify(chunk.map((c, j) => ({ i: j, p: c.p })))],
    );
  }
}

/**
 * Registers an agent row directly (lease tests without a socket), holding an agent token of
 * the team's owner (or `tokenId`): an agent is leased work only while its token may act.
 */
export async function seedAgent(
  handle: DbHandle,
  team: TeamFixture,
  options: {
    name?: string;
    gpus?: number;
    maxTrials?: number;
    memoryMb?: number;
    labels?: Record<string, string>;
    tokenId?: string;
  } = {},
): Promise<string> {
  const gpus = Array.from({ length: options.gpus ?? 0 }, (_, i) => ({ index: i, model: "Test GPU", memoryMb: 16_000 }));
  const tokenId = options.tokenId ?? (await seedTokenRow(handle, team)).tokenId;
  const [row] = await handle.query<{ id: string }>(
    `INSERT INTO agents (org_id, name, host, cpu_cores, memory_mb, gpus, labels, max_trials, token_id, is_online, last_heartbeat_at)
     VALUES ($1, $2, 'localhost', 4, $3, $4::jsonb, $5::jsonb, $6, $7, true, now()) RETURNING id`,
    [
      team.orgId,
      options.name ?? `agent-${randomUUID().slice(0, 8)}`,
      options.memoryMb ?? 64_000,
      JSON.stringify(gpus),
      JSON.stringify(options.labels ?? {}),
      options.maxTrials ?? 1,
      tokenId,
    ],
  );
  return String(row!.id);
}
