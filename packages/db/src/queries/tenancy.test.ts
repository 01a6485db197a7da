/**
 * The tenancy rule, checked over every export of the query layer: a function either takes
 * the caller's `TenantScope` as its second parameter, `(db, scope, …)`, or is listed below
 * with the reason it needs none. Functions keyed by a tenant row's id end in `By…Id(s)`.
 *
 * The parameter names come from the function's source text (`Function.prototype.toString`):
 * vitest runs the TypeScript through esbuild, which strips the types and keeps the names, so
 * `listTokens(db, scope, input = {})` reads as `db, scope, input`. A naming convention keeps
 * the rule where the code is; a registry beside it could drift from the signatures.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDb, type TestDb } from "../testing.js";
import * as queries from "./index.js";
import type { TenantScope } from "./scope.js";
import type { TStudySpec } from "@autoglm/protocol";

const SPEC: TStudySpec = {
  name: "s",
  objective: { metric: "m", direction: "minimize" },
  space: { x: { type: "float", low: 0, high: 1 } },
  sampler: { name: "random", seed: 0 },
  pruner: { name: "none" },
  budget: { max_trials: 100, max_parallel: 4, max_attempts: 3, lease_minutes: 10 },
};

const CALLED_AFTER_A_LOCK = "called with a row a scoped lock (or the scheduler's own) returned in the same transaction";
const SCHEDULER_REBUILD = "the scheduler's optimizer rebuild of a study it holds";
const IDENTITY = "identity, before any team is known: users are not a team's rows";
const LEASE_HOLDER = "a trial the caller holds: its lease token, its agent, a scoped lock, or orgId for a user's stop";
const RUN_LOOP_PASS = "the run loop's background pass over every team";
const AGENT_OWN = "a connected agent's own rows: its team and token project are read from the agent in the statement (S8)";
const ABUSE_CONTROL = "sign-in and API rate limits, keyed by account, client or token, not by team";

/** Tenant rows keyed by an id that a scoped lookup or the scheduler already resolved. */
const BY_ID: Record<string, string> = {
  updateStudyById: CALLED_AFTER_A_LOCK,
  updateTrialById: CALLED_AFTER_A_LOCK,
  countInFlightByStudyId: CALLED_AFTER_A_LOCK,
  endTrialAttemptById: LEASE_HOLDER,
  unleaseTrialById: "fenced by the lease token the gateway itself handed out",
  lastTrialValueById: LEASE_HOLDER,
  findTrialLeaseById: "the agent presents the trial's lease token; the caller compares it before acting on the row",
  fillAttemptReportById: "called after the caller matched the attempt's lease token",
  insertNextTrialById: "a study the caller locked (ask, scoped) or the run loop found running",
  leaseEnqueuedTrialById: CALLED_AFTER_A_LOCK,
  listWarmStartTrialsByStudyId: SCHEDULER_REBUILD,
  finishSpentStudyById: "the study of a trial the caller has just ended",
  listAllCurvesByStudyId: SCHEDULER_REBUILD,
  listTrialStampsByStudyId: SCHEDULER_REBUILD,
  listCurvesByTrialIds: SCHEDULER_REBUILD,
  findStudySpecById: SCHEDULER_REBUILD,
  findStudyPrunerNameById: SCHEDULER_REBUILD,
  leaseTrialToAgentById: AGENT_OWN,
  endAttemptAndLeaseNextById: "an agent's own completion, fenced by its lease token, and its own next lease (S8)",
  listAgentLeasesByAgentId: AGENT_OWN,
  recordAgentHeartbeatById: AGENT_OWN,
  listLeasesOfStoppedStudiesByAgentId: AGENT_OWN,
  recordAgentMetricsById: "fenced by the lease token, attempt and agent of a trial the agent holds",
  recordTrialArtifactById: "an agent's upload, fenced in the statement by the lease token and attempt it holds",
  markAgentOfflineById: "the agent whose socket closed on this process",
  agentMayActById: "a connected agent: whether its current token may act",
  agentTokenMayActById: "the token a connected agent presented at its handshake",
  registerAgentByTokenId: "the token a connected agent presented; the statement checks it may act in the team it names",
  touchModelById: CALLED_AFTER_A_LOCK,
  lockAttemptArtifactsById: "a trial attempt the registration resolved in scope; share-locks its files against retention",
  completeStudyWithReasonById: "a running study the run loop found done by its own rule (budget.stop_when)",
  insertModelVersionByModelId: CALLED_AFTER_A_LOCK,
  moveModelAliasByModelId: CALLED_AFTER_A_LOCK,
  deleteModelAliasByModelId: CALLED_AFTER_A_LOCK,
  softDeleteModelVersionById: CALLED_AFTER_A_LOCK,
  listAliasesByVersionId: "a version a scoped lookup (resolveModelRef, a scoped lock) returned",
  placeReplicaById:
    "a pending replica the reconciler holds; the statement places it only on an agent of the endpoint's team (S8)",
  unplaceReplicaById: "fenced by the lease token the reconciler itself handed out",
  markReplicaReadyById: "an agent's own replica, fenced by its lease token and agent",
  endReplicaById: "an agent's own replica, fenced by its lease token and agent",
  retireReplicaById: "a replica the serving reconciler's pass read",
  topUpReplicasById: "an endpoint the serving reconciler's pass read; the rows take the endpoint's own team",
  retireSurplusReplicaById: "a replica the serving reconciler's pass read, of the endpoint it names",
  upsertEndpointLoadById: "the gateway's load on endpoints it authorized keys for; rows of missing endpoints are skipped",
  applyScaleDecisionById: "an endpoint the serving reconciler's pass read, fenced by the scale state it read",
  renewReplicaLeasesById: AGENT_OWN,
  listReadyReplicasById: "an endpoint authorizeInferenceByHash opened for the caller's key",
};

/** Everything else that takes no scope, and why. */
const OTHER_UNSCOPED: Record<string, string> = {
  withTransaction: "runs a callback; the queries inside it are checked themselves",
  listAgentLeasesByToken: "lease tokens the run loop itself chose for leases it could not confirm (random, never a caller's)",
  isUuid: "no database",
  slugify: "no database",
  studyScopeWhere: "no database: builds the scope's condition",
  modelScopeWhere: "no database: builds the scope's condition",
  windowStartOf: "no database",
  findUserByEmail: IDENTITY,
  findUserById: IDENTITY,
  insertUser: IDENTITY,
  bumpSessionVersion: IDENTITY,
  setUserPassword: IDENTITY,
  disableUser: IDENTITY,
  findUserByOidcIdentity: IDENTITY,
  insertOidcUser: IDENTITY,
  setUserOidcIdentity: IDENTITY,
  findSsoMappingsForClaims: "an OIDC sign-in: which teams the identity provider's claims map the user into",
  listOrgsOfUser: "the signed-in user's own teams: what the team picker shows",
  findMembership: "the authorization check that decides whether a scope may be minted",
  insertOrgWithOwner: "creates the team, so no scope exists yet",
  slugTaken: "team slugs are unique across every team",
  findOrgIdBySlug: "resolves a team's public slug (seeding); membership is checked on the id",
  findInvitationByHash: "the hash of the invitation's secret is the capability; the row names its team",
  findTokenByHash: "the hash is the credential; the row names its team",
  touchTokenLastUsed: "the token being verified (found by its hash), before a scope exists",
  writeAudit: "the entry names its own team, or none for account events (sign-up, password change)",
  listExpiredLeases: "the lease sweepers' background work over every team",
  listOrgIdsWithWaitingTrials: RUN_LOOP_PASS,
  touchAgentTokenByHash: "the agent handshake: the hash is the credential; the row names its team",
  checkArtifactUploadByTokenHash:
    "an agent's upload: the token's hash is the credential and names the team; fenced by the lease token",
  finishSpentStudies: RUN_LOOP_PASS,
  listStudiesToTopUp: RUN_LOOP_PASS,
  readRateLimit: ABUSE_CONTROL,
  hitRateLimit: ABUSE_CONTROL,
  pruneRateLimits: ABUSE_CONTROL,
  insertAuthAttempt: ABUSE_CONTROL,
  listAuthAttempts: ABUSE_CONTROL,
  deleteAuthAttempts: ABUSE_CONTROL,
  clearAuthAttempts: ABUSE_CONTROL,
  pruneAuthAttempts: ABUSE_CONTROL,
  insertUserSession: IDENTITY,
  findLiveUserSession: IDENTITY,
  revokeUserSession: IDENTITY,
  pruneUserSessions: "expired sessions of every user are garbage",
  readPlatformGauges: "the operator's /metrics counts over every team (per team slug, never rows)",
  enqueueWebhookEvent: "the event names its own team, in the transaction of the change that caused it",
  listStudiesWithStopWhen: RUN_LOOP_PASS,
  claimDueWebhookDeliveries: "the webhook sender's background pass over every team: each claimed row names its team",
  recordWebhookAttempt: "the outcome of a delivery the sender itself claimed",
  listPendingAutoRegistrations:
    "the spec's `register` pass over every team: each row names its team, and registers as the study's creator",
  agentUsageSql: "no database: builds SQL text",
  listServingStateAll: "the serving reconciler's background pass over every team",
  expireReplicaLeasesAll: "the serving reconciler's lease sweep over every team",
  listEndpointLoadAll: "the autoscaler's pass over every team (load sums, no tenant data beyond ids)",
  pruneEndpointLoadAll: "the autoscaler's cleanup of load rows no server refreshed, over every team",
  authorizeInferenceByHash: "the gateway: the key's hash is the credential; the statement checks it against the endpoint's team",
  findReplicaFileByHash: "an agent's model download: the token's hash is the credential; fenced by the replica's lease token",
  sweepExpiredArtifactBatch: "the operator's artifact retention (ARTIFACT_RETENTION_DAYS) over every team",
};

type TAnyFunction = (...args: never[]) => unknown;

/** The names of a function's parameters, from its source text (types are already stripped). */
function paramsOf(fn: TAnyFunction): string[] {
  const src = Function.prototype.toString.call(fn);
  const open = src.indexOf("(");
  const names: string[] = [];
  let depth = 0;
  let current = "";
  for (const c of src.slice(open)) {
    if ("([{".includes(c)) depth++;
    if (")]}".includes(c)) depth--;
    if (depth === 0) break;
    if (depth === 1 && c === ",") {
      names.push(current);
      current = "";
    } else if (!(depth === 1 && c === "(")) current += c;
  }
  names.push(current);
  return names.map((p) => p.split("=")[0]!.trim()).filter(Boolean);
}

const functions = Object.entries(queries as Record<string, unknown>).flatMap(([name, value]) =>
  typeof value === "function" ? [[name, value as TAnyFunction] as const] : [],
);
const takesScope = (fn: TAnyFunction) => paramsOf(fn)[1] === "scope";

describe("every query of tenant data takes the tenant scope", () => {
  it("reads parameter names from the source text", () => {
    expect(paramsOf(queries.listTokens)).toEqual(["db", "scope", "input"]);
    expect(paramsOf(queries.finishSpentStudyById)).toEqual(["db", "studyId", "at"]);
    expect(functions.length).toBeGreaterThan(60);
  });

  it("each exported function takes (db, scope, …) or is listed with its reason", () => {
    const unlisted = functions
      .filter(([name, fn]) => !takesScope(fn) && !(name in BY_ID) && !(name in OTHER_UNSCOPED))
      .map(([name, fn]) => `${name}(${paramsOf(fn).join(", ")})`);
    expect(unlisted, "take `scope: TenantScope` second, or list the function in tenancy.test.ts with why it needs none").toEqual(
      [],
    );
  });

  it("the lists name only functions that exist and really take no scope", () => {
    const exported = new Map(functions);
    const stale = [...Object.keys(BY_ID), ...Object.keys(OTHER_UNSCOPED)].filter((name) => {
      const fn = exported.get(name);
      return !fn || takesScope(fn);
    });
    expect(stale).toEqual([]);
  });

  it("unscoped functions keyed by a tenant row's id say so in their name", () => {
    expect(Object.keys(BY_ID).filter((name) => !/By(?:[A-Z][a-z]+)*Ids?$/.test(name))).toEqual([]);
  });
});

describe("a scoped function refuses another team's rows", () => {
  let db: TestDb;
  beforeAll(async () => {
    db = await createTestDb();
  }, 60_000);
  afterAll(async () => {
    await db?.drop();
  });

  async function team(tag: string) {
    const user = (await queries.insertUser(db.db, { email: `${tag}@tenancy.test`, name: tag, passwordHash: "h" }))!;
    const org = await queries.insertOrgWithOwner(db.db, { name: tag, slug: queries.slugify(tag), ownerId: user.id });
    const scope: TenantScope = { orgId: org.id };
    const p1 = (await queries.insertProject(db.db, scope, { name: "one", slug: "one", description: null }))!;
    const p2 = (await queries.insertProject(db.db, scope, { name: "two", slug: "two", description: null }))!;
    const study = await queries.insertStudy(db.db, scope, {
      projectId: p1.id,
      name: "s",
      spec: SPEC,
      direction: "minimize",
      metric: "m",
      createdBy: user.id,
    });
    const trial = await queries.insertTrial(db.db, scope, { studyId: study.id, number: 0, state: "running", params: { x: 1 } });
    const startedAt = new Date("2030-01-01T00:00:00Z");
    await queries.insertAttempt(db.db, scope, { trialId: trial.id, attempt: 1, leaseKind: "ask", startedAt });
    await queries.upsertTrialValue(db.db, scope, { trialId: trial.id, step: 0, value: 1.5, attempt: 1 });
    await db.query(
      `INSERT INTO trial_artifacts (org_id, trial_id, attempt, name, size_bytes, sha256, store_key) VALUES ($1, $2, 1, 'model.bin', 3, $3, 'k')`,
      [scope.orgId, trial.id, "a".repeat(64)],
    );
    const token = await queries.insertToken(db.db, scope, {
      userId: user.id,
      name: "ci",
      prefix: `agl_${tag}`,
      tokenHash: `hash-${tag}`,
      scopes: ["read"],
      projectId: null,
      expiresAt: null,
    });
    const invitation = await queries.insertInvitation(db.db, scope, {
      tokenHash: `inv-${tag}`,
      role: "member",
      email: null,
      createdBy: user.id,
      expiresAt: new Date("2099-01-01T00:00:00Z"),
    });
    await queries.writeAudit(db.db, {
      orgId: org.id,
      actor: { userId: user.id },
      action: "token.create",
      targetType: "token",
      targetId: token.id,
    });
    return {
      scope,
      userId: user.id,
      p2: p2.id,
      studyId: study.id,
      trialId: trial.id,
      tokenId: token.id,
      invitationId: invitation.id,
    };
  }

  it("team B's scope reads none of team A's tokens, audit, members, invitations or trial rows", async () => {
    const a = await team("tenancy-a");
    const b = await team("tenancy-b");
    const at = new Date("2030-01-02T00:00:00Z");

    // Team A's own scope sees its rows: the refusals below are not an empty table.
    expect((await queries.listTokens(db.db, a.scope)).map((t) => t.id)).toEqual([a.tokenId]);
    expect((await queries.listAudit(db.db, a.scope, { limit: 10 })).map((e) => e.targetId)).toEqual([a.tokenId]);
    expect(await queries.listTrialValues(db.db, a.scope, a.trialId)).toEqual([{ step: 0, value: 1.5 }]);
    expect((await queries.listTrialArtifacts(db.db, a.scope, a.trialId)).map((f) => f.name)).toEqual(["model.bin"]);
    const file = { trialId: a.trialId, attempt: 1, name: "model.bin" };
    expect(await queries.findTrialArtifact(db.db, a.scope, file)).toMatchObject({ sizeBytes: 3, storeKey: "k" });
    expect(await queries.listTrialArtifacts(db.db, b.scope, a.trialId)).toEqual([]);
    expect(await queries.findTrialArtifact(db.db, b.scope, file)).toBeNull();
    expect(await queries.listTrialArtifacts(db.db, { orgId: a.scope.orgId, projectId: a.p2 }, a.trialId)).toEqual([]);

    expect((await queries.listTokens(db.db, b.scope)).map((t) => t.id)).toEqual([b.tokenId]);
    expect(await queries.findToken(db.db, b.scope, a.tokenId)).toBeNull();
    expect(await queries.revokeToken(db.db, b.scope, { id: a.tokenId, at })).toBe(false);
    expect((await queries.listAudit(db.db, b.scope, { limit: 10 })).map((e) => e.targetId)).toEqual([b.tokenId]);
    expect((await queries.listMembers(db.db, b.scope)).map((m) => m.userId)).toEqual([b.userId]);
    expect((await queries.listInvitations(db.db, b.scope)).map((i) => i.id)).toEqual([b.invitationId]);
    expect(await queries.revokeInvitation(db.db, b.scope, { id: a.invitationId, at })).toBe(false);
    expect(await queries.markInvitationAccepted(db.db, b.scope, { id: a.invitationId, userId: b.userId, at })).toBe(false);
    expect(await queries.updateMemberRole(db.db, b.scope, { userId: a.userId, role: "viewer" })).toBe(false);
    expect(await queries.listTrialValues(db.db, b.scope, a.trialId)).toEqual([]);
    expect(await queries.listTrialAttempts(db.db, b.scope, a.trialId)).toEqual([]);
    expect(await queries.loadStudyHistory(db.db, b.scope, a.studyId)).toEqual([]);
    expect((await queries.countTrialsByState(db.db, b.scope, [a.studyId])).get(a.studyId)).toMatchObject({ running: 0 });

    // A token restricted to team A's other project sees the team's org but not this study's trial.
    const otherProject: TenantScope = { orgId: a.scope.orgId, projectId: a.p2 };
    expect(await queries.listTrialValues(db.db, otherProject, a.trialId)).toEqual([]);
    expect(await queries.listTrialAttempts(db.db, otherProject, a.trialId)).toEqual([]);
    expect((await queries.countTrialsByState(db.db, otherProject, [a.studyId])).get(a.studyId)).toMatchObject({ running: 0 });
    expect((await queries.countTrialsByState(db.db, a.scope, [a.studyId])).get(a.studyId)).toMatchObject({ running: 1 });
  });
});
