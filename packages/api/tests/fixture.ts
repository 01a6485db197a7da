import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { artifactKey, LocalDirStore } from "@autoglm/artifacts";
import { createTestDb, type TestDb } from "@autoglm/db/testing";
import { findUserByEmail, findUserById, listOrgsOfUser } from "@autoglm/db/queries";
import {
  createMemoryEvents,
  createServerCaller,
  startUserSession,
  type TApiDeps,
  type TApiOptions,
  type TSessionClaims,
} from "../src/index.js";

export const PW = "correct-horse-battery";
export const ORIGIN = "http://app.test";

export const SPEC = {
  name: "quad",
  objective: { metric: "loss", direction: "minimize" as const },
  space: { x: { type: "float" as const, low: -5, high: 10 }, act: { type: "categorical" as const, choices: ["relu", "tanh"] } },
  sampler: { name: "random" as const, seed: 7 },
  budget: { max_trials: 50, max_parallel: 4 },
};

export type Caller = Awaited<ReturnType<typeof createServerCaller>>;

/** Every table, counted in one statement: what "no rows changed" is checked against. */
export const TABLES = [
  "users",
  "organizations",
  "memberships",
  "invitations",
  "projects",
  "api_tokens",
  "studies",
  "trials",
  "trial_values",
  "trial_attempts",
  "audit_log",
  "agents",
  "webhooks",
  "webhook_deliveries",
  "models",
  "model_versions",
  "model_aliases",
  "endpoints",
  "endpoint_replicas",
  "endpoint_revisions",
] as const;

export async function rowCounts(db: TestDb): Promise<Record<string, number>> {
  const sql = `select ${TABLES.map((t) => `(select count(*)::int from ${t}) as ${t}`).join(", ")}`;
  const [row] = await db.query<Record<string, number>>(sql);
  return Object.fromEntries(Object.entries(row!).map(([k, v]) => [k, Number(v)]));
}

/**
 * A content fingerprint of every table but rate_limits, minus api_tokens.last_used_at (reads
 * may touch those two: the token's use and its request counter). S5's "0 GET procedures with
 * side effects" compares it.
 */
export async function contentHash(db: TestDb): Promise<string> {
  const parts: string[] = [];
  for (const t of TABLES) {
    const expr = t === "api_tokens" ? `(to_jsonb(x) - 'last_used_at')::text` : `x::text`;
    const [r] = await db.query<{ h: string | null }>(`select md5(string_agg(${expr}, '|' order by x::text)) as h from ${t} x`);
    parts.push(`${t}:${r?.h ?? "-"}`);
  }
  return parts.join(";");
}

export interface Team {
  orgId: string;
  ownerId: string;
  ownerEmail: string;
  projectId: string;
  studyId: string;
  runningTrialId: string;
  completeTrialId: string;
  tokenId: string;
  /** An agent of the team (registered directly, online): agent.list must never show it to the other team. */
  agentName: string;
  /** read+write token of the owner */
  token: string;
  inviteId: string;
  /** A webhook of the team and one delivery of it. */
  webhookId: string;
  webhookDeliveryId: string;
  /** A registered model of the team (version 1 from the complete trial, alias `champion`); its name is unique to the team. */
  modelName: string;
  /** An endpoint of the team serving `modelName@champion`, and one key of it. */
  endpointName: string;
  endpointKeyId: string;
}

export interface World {
  db: TestDb;
  deps: TApiDeps & { events: ReturnType<typeof createMemoryEvents> };
  A: Team;
  B: Team;
  /** Team A's viewer and member (real users who joined by invitation). */
  viewerA: { userId: string; email: string };
  memberA: { userId: string; email: string };
  tokens: { agentOnlyA: string; readOnlyA: string; expiredA: string; revokedA: string };
  as(userId: string, orgId?: string | null): Promise<Caller>;
  /** The claims of a live session of the user (one per user, started on first use). */
  sessionOf(userId: string): Promise<TSessionClaims>;
  /** auth.signUp as a person would, then the new user's id and team (sign-up answers neither). */
  signUp(input: { email: string; password: string; name: string; teamName?: string }): Promise<{ userId: string; orgId: string }>;
  withToken(token: string): Promise<Caller>;
  anon(): Promise<Caller>;
  /** The world's artifact store: a real local directory, removed by close(). */
  artifacts: LocalDirStore;
  close(): Promise<void>;
}

/**
 * Puts `body` into the store as an agent's upload would (the key from the server's ids) and
 * records its row: the upload route itself is tested in apps/server.
 */
export async function storeTrialFile(
  db: TestDb,
  store: LocalDirStore,
  trialId: string,
  name: string,
  body: Buffer,
): Promise<{ storeKey: string; attempt: number }> {
  const [t] = await db.query<{ org_id: string; project_id: string; study_id: string; attempt: number }>(
    `select t.org_id, s.project_id, t.study_id, greatest(t.attempt, 1) as attempt from trials t join studies s on s.id = t.study_id where t.id = $1`,
    [trialId],
  );
  if (!t) throw new Error(`no trial ${trialId}`);
  const owner = { teamId: t.org_id, projectId: t.project_id, studyId: t.study_id, trialId, attempt: Number(t.attempt) };
  const storeKey = artifactKey(owner, name);
  const put = await store.put(storeKey, Readable.from([body]));
  await db.query(
    `insert into trial_artifacts (org_id, trial_id, attempt, name, size_bytes, sha256, store_key) values ($1, $2, $3, $4, $5, $6, $7)
     on conflict (trial_id, attempt, name) do update set size_bytes = excluded.size_bytes, sha256 = excluded.sha256, store_key = excluded.store_key`,
    [t.org_id, trialId, owner.attempt, name, put.size, put.sha256, storeKey],
  );
  return { storeKey, attempt: owner.attempt };
}

/** The webhook settings every world's API runs with: private targets refused, the platform at ORIGIN. */
export const WEBHOOK_OPTIONS = {
  authSecret: "test-auth-secret-0123456789abcdef0123",
  platformUrl: ORIGIN,
  allowPrivateTargets: false,
};

export async function makeWorld(options: Partial<TApiOptions> = {}): Promise<World> {
  const db = await createTestDb();
  const events = createMemoryEvents();
  const artifactsDir = mkdtempSync(path.join(tmpdir(), "autoglm-api-artifacts-"));
  const artifacts = new LocalDirStore(artifactsDir);
  const deps = { db, events, artifacts, options: { allowedOrigins: [ORIGIN], webhooks: WEBHOOK_OPTIONS, ...options } };
  const anon = () => createServerCaller(deps, {});
  const sessions = new Map<string, string>();
  /** A session as the web app would pass it: a live session row and the user's CURRENT version. */
  const sessionOf = async (userId: string): Promise<TSessionClaims> => {
    const u = await findUserById(db.db, userId);
    let sessionId = sessions.get(userId);
    if (!sessionId) {
      sessionId = (await startUserSession(db, { userId })).sessionId;
      sessions.set(userId, sessionId);
    }
    return { userId, sessionVersion: u?.sessionVersion ?? 0, sessionId };
  };
  const as = async (userId: string, orgId?: string | null) =>
    createServerCaller(deps, { session: await sessionOf(userId), ...(orgId ? { orgId } : {}) });
  const signUp = async (input: { email: string; password: string; name: string; teamName?: string }) => {
    await (await anon()).auth.signUp(input);
    const user = await findUserByEmail(db.db, input.email);
    const orgs = user ? await listOrgsOfUser(db.db, user.id) : [];
    if (!user || !orgs[0]) throw new Error(`sign-up of ${input.email} made no account`);
    return { userId: user.id, orgId: orgs[0].id };
  };
  const withToken = (token: string) => createServerCaller(deps, { token });

  async function team(tag: string): Promise<Team> {
    const email = `owner-${tag}@x.test`;
    const { userId, orgId } = await signUp({ email, password: PW, name: `Owner ${tag}`, teamName: `Team ${tag}` });
    const o = await as(userId, orgId);
    const project = await o.project.create({ name: `Project ${tag}` });
    const study = await o.study.create({ projectId: project.id, spec: SPEC });
    const t = await o.token.create({ name: `tok-${tag}`, scopes: ["read", "write"] });
    const tc = await withToken(t.token);
    const done = await tc.trial.ask({ studyId: study.id });
    await tc.trial.report({ trialId: done.trialId, step: 0, value: 3 });
    await tc.trial.tell({ trialId: done.trialId, value: 1.5 });
    const running = await tc.trial.ask({ studyId: study.id });
    await tc.trial.report({ trialId: running.trialId, step: 0, value: 2 });
    const inv = await o.org.invite({ role: "viewer" });
    // An IP literal of a public address: no DNS lookup, nothing is ever sent (no sender runs here).
    const hook = await o.webhook.create({ url: `https://93.184.215.14/hooks/${tag}`, events: ["study.completed"] });
    const [delivery] = await db.query<{ id: string }>(
      `insert into webhook_deliveries (org_id, webhook_id, event, body) values ($1, $2, 'study.completed', '{}') returning id`,
      [orgId, hook.id],
    );
    const modelName = `model-${tag}-${randomId().slice(0, 8)}`;
    // Trained in a project of its own, so the team's main study holds no files (study storage starts at 0).
    const registry = await o.project.create({ name: `Registry ${tag}` });
    const registryStudy = await o.study.create({ projectId: registry.id, spec: { ...SPEC, name: "registry" } });
    const trained = await tc.trial.ask({ studyId: registryStudy.id });
    await tc.trial.tell({ trialId: trained.trialId, value: 1 });
    // An ONNX file: a flavor endpoints can serve.
    await storeTrialFile(db, artifacts, trained.trialId, "model.onnx", Buffer.from(`weights of ${tag}`));
    await o.model.register({ trialId: trained.trialId, name: modelName, alias: "champion" });
    const endpointName = `ep-${tag}-${randomId().slice(0, 8)}`;
    await o.endpoint.create({ name: endpointName, model: modelName, alias: "champion" });
    const endpointKey = await o.endpoint.keyCreate({ endpoint: endpointName });
    const agentName = `gpu-box-${tag}-${randomId().slice(0, 6)}`;
    await db.query(
      `insert into agents (org_id, name, host, cpu_cores, memory_mb, gpus, labels, is_online, last_heartbeat_at)
       values ($1, $2, $3, 8, 32000, '[{"index":0,"model":"Test GPU","memoryMb":16000}]'::jsonb, '{"pool":"a"}'::jsonb, true, now())`,
      [orgId, agentName, `host-${tag}.internal`],
    );
    return {
      orgId,
      ownerId: userId,
      ownerEmail: email,
      projectId: project.id,
      studyId: study.id,
      runningTrialId: running.trialId,
      completeTrialId: done.trialId,
      tokenId: t.id,
      agentName,
      token: t.token,
      inviteId: inv.id,
      webhookId: hook.id,
      webhookDeliveryId: delivery!.id,
      modelName,
      endpointName,
      endpointKeyId: endpointKey.id,
    };
  }

  const A = await team("a");
  const B = await team("b");
  const ownerA = await as(A.ownerId, A.orgId);
  async function join(role: "viewer" | "member", tag: string) {
    const email = `${tag}@x.test`;
    const u = await signUp({ email, password: PW, name: tag });
    const inv = await ownerA.org.invite({ role });
    await (await as(u.userId)).org.acceptInvite({ secret: inv.url.split("/").pop()! });
    return { userId: u.userId, email };
  }
  const viewerA = await join("viewer", "viewer-a");
  const memberA = await join("member", "member-a");
  const agentOnlyA = (await ownerA.token.create({ name: "agent", scopes: ["agent"] })).token;
  const readOnlyA = (await ownerA.token.create({ name: "ro", scopes: ["read"] })).token;
  const expiredA = (await ownerA.token.create({ name: "exp", scopes: ["read", "write"], expiresInDays: 1 })).token;
  await db.query(`update api_tokens set expires_at = now() - interval '1 minute' where name = 'exp'`);
  const rev = await ownerA.token.create({ name: "rev", scopes: ["read", "write"] });
  await ownerA.token.revoke({ id: rev.id });
  return {
    db,
    deps,
    A,
    B,
    viewerA,
    memberA,
    tokens: { agentOnlyA, readOnlyA, expiredA, revokedA: rev.token },
    as,
    sessionOf,
    signUp,
    withToken,
    anon,
    artifacts,
    close: async () => {
      await db.drop();
      rmSync(artifactsDir, { recursive: true, force: true });
    },
  };
}

export function randomId(): string {
  return randomUUID();
}

/** Runs a call and returns what a client would see: ok + data, or the error's code and message. */
export async function outcome(
  fn: () => Promise<unknown>,
): Promise<{ ok: true; data: unknown } | { ok: false; code: string; message: string; appCode?: string }> {
  try {
    return { ok: true, data: await fn() };
  } catch (err) {
    const e = err as { code?: string; message?: string; appCode?: string };
    return { ok: false, code: String(e.code), message: String(e.message), appCode: e.appCode };
  }
}

/** Calls `router.a.b` by its dotted path on a caller. */
export function callPath(caller: Caller, path: string, input: unknown): Promise<unknown> {
  const [ns, name] = path.split(".");
  const fn = (caller as unknown as Record<string, Record<string, (i: unknown) => Promise<unknown>>>)[ns!]![name!]!;
  return fn(input);
}
