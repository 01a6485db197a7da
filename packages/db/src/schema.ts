/* eslint-disable max-lines -- the whole schema is one module: drizzle-kit generates the migrations from it and its tables reference each other. */
import { sql } from "drizzle-orm";
import {
  type AnyPgColumn,
  bigint,
  bigserial,
  boolean,
  doublePrecision,
  index,
  integer,
  jsonb,
  pgEnum,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";
import type { TStudySpec } from "@autoglm/protocol";

/**
 * Every tenant-owned table carries `org_id`; the query layer (./queries) scopes every
 * read and write by it. Timestamps are timestamptz; ids are uuids except the audit log's.
 */

const createdAt = () => timestamp("created_at", { withTimezone: true }).notNull().defaultNow();
const updatedAt = () => timestamp("updated_at", { withTimezone: true }).notNull().defaultNow();
const orgRef = () =>
  uuid("org_id")
    .notNull()
    .references(() => organizations.id, { onDelete: "cascade" });

export const roleEnum = pgEnum("role", ["owner", "admin", "member", "viewer"]);
export const studyStateEnum = pgEnum("study_state", ["running", "stopped", "completed", "failed"]);
export const trialStateEnum = pgEnum("trial_state", ["waiting", "running", "complete", "pruned", "failed"]);
export const leaseKindEnum = pgEnum("lease_kind", ["ask", "agent"]);

export const users = pgTable(
  "users",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    email: text("email").notNull(),
    name: text("name").notNull(),
    /** Null for users who sign in through the identity provider (OIDC): they have no password. */
    passwordHash: text("password_hash"),
    /** The OIDC identity (`iss`, `sub`) the user signs in as; null for password users. */
    oidcIssuer: text("oidc_issuer"),
    oidcSubject: text("oidc_subject"),
    /** Bumped on sign-out-everywhere, password change and disable: older sessions stop working. */
    sessionVersion: integer("session_version").notNull().default(0),
    disabledAt: timestamp("disabled_at", { withTimezone: true }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex("users_email_key").on(sql`lower(${t.email})`),
    uniqueIndex("users_oidc_identity_key").on(t.oidcIssuer, t.oidcSubject),
  ],
);

/**
 * One row per signed-in browser session; its id travels in the next-auth JWT (`sessionId`).
 * Sign-out revokes that one row, so a cookie copied before sign-out stops working (S4);
 * `users.session_version` still ends all of a user's sessions at once.
 */
export const userSessions = pgTable(
  "user_sessions",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    createdAt: createdAt(),
    expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
    revokedAt: timestamp("revoked_at", { withTimezone: true }),
  },
  (t) => [index("user_sessions_user_idx").on(t.userId), index("user_sessions_expires_idx").on(t.expiresAt)],
);

export const organizations = pgTable(
  "organizations",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    name: text("name").notNull(),
    slug: text("slug").notNull(),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex("organizations_slug_key").on(t.slug)],
);

export const memberships = pgTable(
  "memberships",
  {
    orgId: orgRef(),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    role: roleEnum("role").notNull(),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.orgId, t.userId] }), index("memberships_user_idx").on(t.userId)],
);

export const ssoMappingKindEnum = pgEnum("sso_mapping_kind", ["email_domain", "group"]);

/**
 * Single sign-on: a user whose verified email is in `value`'s domain, or whose groups claim
 * contains `value`, becomes a member of the team with `role` when signing in through OIDC.
 */
export const ssoMappings = pgTable(
  "sso_mappings",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    orgId: orgRef(),
    kind: ssoMappingKindEnum("kind").notNull(),
    /** A lower-case email domain (`example.com`) or a group name as the provider spells it. */
    value: text("value").notNull(),
    role: roleEnum("role").notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex("sso_mappings_org_kind_value_key").on(t.orgId, t.kind, t.value),
    index("sso_mappings_value_idx").on(t.kind, t.value),
  ],
);

export const invitations = pgTable(
  "invitations",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    orgId: orgRef(),
    /** sha256 of the secret in the invite link; the link itself is shown once. */
    tokenHash: text("token_hash").notNull(),
    role: roleEnum("role").notNull(),
    email: text("email"),
    createdBy: uuid("created_by").references(() => users.id, { onDelete: "set null" }),
    expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
    acceptedAt: timestamp("accepted_at", { withTimezone: true }),
    acceptedBy: uuid("accepted_by").references(() => users.id, { onDelete: "set null" }),
    revokedAt: timestamp("revoked_at", { withTimezone: true }),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex("invitations_token_hash_key").on(t.tokenHash), index("invitations_org_idx").on(t.orgId)],
);

export const projects = pgTable(
  "projects",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    orgId: orgRef(),
    name: text("name").notNull(),
    slug: text("slug").notNull(),
    description: text("description"),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex("projects_org_slug_key").on(t.orgId, t.slug)],
);

export const apiTokens = pgTable(
  "api_tokens",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    orgId: orgRef(),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    /** First characters of the token, safe to show (`agl_ab12…`). */
    prefix: text("prefix").notNull(),
    /** sha256 of the whole token; the token itself is never stored. */
    tokenHash: text("token_hash").notNull(),
    scopes: text("scopes").array().notNull(),
    projectId: uuid("project_id").references(() => projects.id, { onDelete: "cascade" }),
    /** An endpoint key (scope `infer`) opens only this endpoint; null for the team's other tokens. */
    endpointId: uuid("endpoint_id").references((): AnyPgColumn => endpoints.id, { onDelete: "cascade" }),
    expiresAt: timestamp("expires_at", { withTimezone: true }),
    lastUsedAt: timestamp("last_used_at", { withTimezone: true }),
    revokedAt: timestamp("revoked_at", { withTimezone: true }),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex("api_tokens_hash_key").on(t.tokenHash), index("api_tokens_org_idx").on(t.orgId)],
);

export const studies = pgTable(
  "studies",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    orgId: orgRef(),
    projectId: uuid("project_id")
      .notNull()
      .references(() => projects.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    /**
     * The validated study spec (defaults filled), as @autoglm/protocol's ZStudySpec. Read it
     * back through `studySpecOf`, which fills defaults added after the row was written.
     */
    spec: jsonb("spec").$type<TStudySpec>().notNull(),
    // What SQL needs from the spec, as STORED generated columns: the JSON paths live here and
    // nowhere else, the lease statement compares plain columns, and an update of `spec`
    // recomputes them. The coalesce defaults are ZBudget's / ZResources' (study-spec.ts), for
    // rows written before a field existed.
    /** The study has a `run.command` or `run.builtin`: the scheduler inserts its trials and agents run them. */
    runsOnAgents: boolean("runs_on_agents")
      .notNull()
      .generatedAlwaysAs(sql`(spec #>> '{run,command}') IS NOT NULL OR (spec #> '{run,builtin}') IS NOT NULL`),
    gpusNeeded: integer("gpus_needed")
      .notNull()
      .generatedAlwaysAs(sql`coalesce((spec #>> '{run,resources,gpus}')::int, 0)`),
    /** Null when the spec asks for no memory (any agent fits). */
    memoryMbNeeded: doublePrecision("memory_mb_needed").generatedAlwaysAs(
      sql`(spec #>> '{run,resources,memory_gb}')::float8 * 1024`,
    ),
    /** An agent fits when its labels contain these (`agents.labels @> labels_needed`). */
    labelsNeeded: jsonb("labels_needed")
      .notNull()
      .generatedAlwaysAs(sql`coalesce(spec #> '{run,resources,labels}', '{}'::jsonb)`),
    maxAttempts: integer("max_attempts")
      .notNull()
      .generatedAlwaysAs(sql`coalesce((spec #>> '{budget,max_attempts}')::int, 3)`),
    maxTrials: integer("max_trials")
      .notNull()
      .generatedAlwaysAs(sql`coalesce((spec #>> '{budget,max_trials}')::int, 100)`),
    maxParallel: integer("max_parallel")
      .notNull()
      .generatedAlwaysAs(sql`coalesce((spec #>> '{budget,max_parallel}')::int, 4)`),
    /** Null: failures never end the study. */
    maxFailures: integer("max_failures").generatedAlwaysAs(sql`(spec #>> '{budget,max_failures}')::int`),
    prunerName: text("pruner_name")
      .notNull()
      .generatedAlwaysAs(sql`coalesce(spec #>> '{pruner,name}', 'none')`),
    state: studyStateEnum("state").notNull().default("running"),
    direction: text("direction").notNull(),
    metric: text("metric").notNull(),
    /** Next trial number to hand out; incremented in the same statement that inserts a trial. */
    nextTrialNumber: integer("next_trial_number").notNull().default(0),
    bestTrialId: uuid("best_trial_id"),
    bestValue: doublePrecision("best_value"),
    createdBy: uuid("created_by").references(() => users.id, { onDelete: "set null" }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
    stoppedAt: timestamp("stopped_at", { withTimezone: true }),
    /** Why the study stopped when its own rule stopped it (e.g. `budget.stop_when`); null otherwise. */
    stopReason: text("stop_reason"),
  },
  (t) => [index("studies_org_project_idx").on(t.orgId, t.projectId, t.createdAt), index("studies_state_idx").on(t.state)],
);

export const agents = pgTable(
  "agents",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    orgId: orgRef(),
    name: text("name").notNull(),
    host: text("host").notNull(),
    cpuCores: integer("cpu_cores").notNull().default(0),
    memoryMb: integer("memory_mb").notNull().default(0),
    /** [{index, model, memoryMb}] as read from nvidia-smi. */
    gpus: jsonb("gpus")
      .notNull()
      .default(sql`'[]'::jsonb`),
    labels: jsonb("labels")
      .notNull()
      .default(sql`'{}'::jsonb`),
    /** How many trials the agent runs at once (its GPU count by default, at least 1). */
    maxTrials: integer("max_trials").notNull().default(1),
    tokenId: uuid("token_id").references(() => apiTokens.id, { onDelete: "set null" }),
    isOnline: boolean("is_online").notNull().default(false),
    lastHeartbeatAt: timestamp("last_heartbeat_at", { withTimezone: true }),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex("agents_org_name_key").on(t.orgId, t.name)],
);

export const trials = pgTable(
  "trials",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    orgId: orgRef(),
    studyId: uuid("study_id")
      .notNull()
      .references(() => studies.id, { onDelete: "cascade" }),
    number: integer("number").notNull(),
    state: trialStateEnum("state").notNull().default("waiting"),
    params: jsonb("params").notNull(),
    /**
     * Where the params came from: the sampler's name (`tpe`, `gp`, …), `enqueued` (a user fixed
     * them: `trial enqueue`, "Re-run with these params"), `warm_start`; null when not recorded.
     */
    proposedBy: text("proposed_by"),
    value: doublePrecision("value"),
    /** Per objective, in spec order (`value` is the first); null until the trial has values. */
    values: jsonb("values"),
    /**
     * Per spec constraint, in spec order, the violation: value − max or min − value (≤ 0
     * satisfied, Optuna's convention); null when the study has no constraints or no values yet.
     */
    constraintValues: jsonb("constraint_values"),
    /** Every constraint satisfied; null when the study has no constraints or the trial no values. */
    feasible: boolean("feasible"),
    /** Attempts made so far (0 until first leased). */
    attempt: integer("attempt").notNull().default(0),
    leaseKind: leaseKindEnum("lease_kind"),
    leaseToken: uuid("lease_token"),
    leaseExpiresAt: timestamp("lease_expires_at", { withTimezone: true }),
    agentId: uuid("agent_id").references(() => agents.id, { onDelete: "set null" }),
    /** UPPER_SNAKE reason for failed / pruned / stopped trials, e.g. LEASE_EXPIRED. */
    endCode: text("end_code"),
    endReason: text("end_reason"),
    lastStep: integer("last_step"),
    startedAt: timestamp("started_at", { withTimezone: true }),
    finishedAt: timestamp("finished_at", { withTimezone: true }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex("trials_study_number_key").on(t.studyId, t.number),
    index("trials_study_state_idx").on(t.studyId, t.state),
    index("trials_org_idx").on(t.orgId),
    // The lease sweeper scans running trials by expiry.
    index("trials_lease_expiry_idx")
      .on(t.leaseExpiresAt)
      .where(sql`${t.state} = 'running'`),
    // The scheduler takes the oldest waiting trial.
    index("trials_waiting_idx")
      .on(t.createdAt)
      .where(sql`${t.state} = 'waiting'`),
    // Leasing sums the resources of the trials an agent is running.
    index("trials_agent_running_idx")
      .on(t.agentId)
      .where(sql`${t.state} = 'running'`),
  ],
);

/** Intermediate values reported during a trial; (trial, step) is unique so replays are idempotent. */
export const trialValues = pgTable(
  "trial_values",
  {
    trialId: uuid("trial_id")
      .notNull()
      .references(() => trials.id, { onDelete: "cascade" }),
    orgId: orgRef(),
    step: integer("step").notNull(),
    value: doublePrecision("value").notNull(),
    metrics: jsonb("metrics"),
    attempt: integer("attempt").notNull().default(1),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.trialId, t.step] })],
);

/** One row per attempt of a trial: who ran it and why it ended. */
export const trialAttempts = pgTable(
  "trial_attempts",
  {
    trialId: uuid("trial_id")
      .notNull()
      .references(() => trials.id, { onDelete: "cascade" }),
    orgId: orgRef(),
    attempt: integer("attempt").notNull(),
    leaseKind: leaseKindEnum("lease_kind").notNull(),
    agentId: uuid("agent_id").references(() => agents.id, { onDelete: "set null" }),
    startedAt: timestamp("started_at", { withTimezone: true }).notNull().defaultNow(),
    endedAt: timestamp("ended_at", { withTimezone: true }),
    endCode: text("end_code"),
    endReason: text("end_reason"),
    /** The end of the attempt's log (bounded and redacted by the agent). */
    logTail: text("log_tail"),
    /** What the command printed as its source (`{"autoglm": 1, "source": {"git": sha, "repo": url}}`), if it did. */
    source: jsonb("source"),
  },
  (t) => [
    primaryKey({ columns: [t.trialId, t.attempt] }),
    // R6: at most one open (un-ended) attempt per trial, whatever a buggy caller does.
    uniqueIndex("trial_attempts_one_open_key")
      .on(t.trialId)
      .where(sql`${t.endedAt} is null`),
  ],
);

/** A file an agent uploaded from an attempt's output dir: bytes in the artifact store at `store_key`. */
export const trialArtifacts = pgTable(
  "trial_artifacts",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    orgId: orgRef(),
    trialId: uuid("trial_id")
      .notNull()
      .references(() => trials.id, { onDelete: "cascade" }),
    attempt: integer("attempt").notNull(),
    name: text("name").notNull(),
    sizeBytes: bigint("size_bytes", { mode: "number" }).notNull(),
    sha256: text("sha256").notNull(),
    storeKey: text("store_key").notNull(),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex("trial_artifacts_trial_attempt_name_key").on(t.trialId, t.attempt, t.name)],
);

/** A registered model: a team's name for a line of versions (S1: scoped by `org_id`). */
export const models = pgTable(
  "models",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    orgId: orgRef(),
    projectId: uuid("project_id").references(() => projects.id, { onDelete: "set null" }),
    name: text("name").notNull(),
    description: text("description"),
    tags: text("tags")
      .array()
      .notNull()
      .default(sql`'{}'::text[]`),
    createdByUserId: uuid("created_by_user_id").references(() => users.id, { onDelete: "set null" }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex("models_org_name_key").on(t.orgId, t.name)],
);

/**
 * One immutable version of a model: the files of one trial attempt (their store keys, sizes and
 * SHA-256s: `files`, and `digest`, the SHA-256 of that manifest) and a snapshot of its lineage,
 * kept even when the study or trial is deleted later. Deleting is soft (`deleted_at`).
 */
export const modelVersions = pgTable(
  "model_versions",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    orgId: orgRef(),
    modelId: uuid("model_id")
      .notNull()
      .references(() => models.id, { onDelete: "cascade" }),
    version: integer("version").notNull(),
    /** `builtin-mlp`, `builtin-glm`, `onnx` or `files`. */
    flavor: text("flavor").notNull(),
    /** Inputs and outputs when the flavor knows them; null otherwise. */
    signature: jsonb("signature"),
    /** [{name, sizeBytes, sha256, storeKey}] sorted by name. */
    files: jsonb("files").notNull(),
    digest: text("digest").notNull(),
    totalBytes: bigint("total_bytes", { mode: "number" }).notNull(),
    studyId: uuid("study_id").references(() => studies.id, { onDelete: "set null" }),
    trialId: uuid("trial_id").references(() => trials.id, { onDelete: "set null" }),
    attempt: integer("attempt").notNull(),
    agentId: uuid("agent_id").references(() => agents.id, { onDelete: "set null" }),
    /** Study name, trial number, params, the spec's `run` section, agent name: as they were when registered. */
    lineage: jsonb("lineage").notNull(),
    metrics: jsonb("metrics")
      .notNull()
      .default(sql`'{}'::jsonb`),
    /** The source reference the command printed (`{"git": sha, "repo": url}`), if any. */
    source: jsonb("source"),
    description: text("description"),
    createdByUserId: uuid("created_by_user_id").references(() => users.id, { onDelete: "set null" }),
    createdByTokenId: uuid("created_by_token_id").references(() => apiTokens.id, { onDelete: "set null" }),
    createdAt: createdAt(),
    deletedAt: timestamp("deleted_at", { withTimezone: true }),
  },
  (t) => [
    uniqueIndex("model_versions_model_version_key").on(t.modelId, t.version),
    index("model_versions_trial_idx").on(t.trialId, t.attempt),
  ],
);

/** A movable name on a model (`champion`, `production`) pointing at one of its versions. */
export const modelAliases = pgTable(
  "model_aliases",
  {
    modelId: uuid("model_id")
      .notNull()
      .references(() => models.id, { onDelete: "cascade" }),
    orgId: orgRef(),
    alias: text("alias").notNull(),
    versionId: uuid("version_id")
      .notNull()
      .references(() => modelVersions.id, { onDelete: "restrict" }),
    updatedAt: updatedAt(),
  },
  (t) => [primaryKey({ columns: [t.modelId, t.alias] })],
);

/** A team's webhook: where to POST which events, signed with `secret` (HMAC-SHA256). */
export const webhooks = pgTable(
  "webhooks",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    orgId: orgRef(),
    url: text("url").notNull(),
    /** The signing secret, encrypted at rest with the server's key (never shown again after creation). */
    secretCiphertext: text("secret_ciphertext").notNull(),
    events: text("events").array().notNull(),
    active: boolean("active").notNull().default(true),
    createdByUserId: uuid("created_by_user_id").references(() => users.id, { onDelete: "set null" }),
    createdAt: createdAt(),
  },
  (t) => [index("webhooks_org_idx").on(t.orgId)],
);

/** One event to one webhook: retried with backoff until delivered or a day has passed. */
export const webhookDeliveries = pgTable(
  "webhook_deliveries",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    orgId: orgRef(),
    webhookId: uuid("webhook_id")
      .notNull()
      .references(() => webhooks.id, { onDelete: "cascade" }),
    event: text("event").notNull(),
    /** The exact JSON body sent (its bytes are what the signature covers). */
    body: text("body").notNull(),
    /** pending, delivered or failed (gave up). */
    status: text("status").notNull().default("pending"),
    attempts: integer("attempts").notNull().default(0),
    nextAttemptAt: timestamp("next_attempt_at", { withTimezone: true }).notNull().defaultNow(),
    /** A sender holds the row until then, so two server replicas never send it twice at once. */
    claimedUntil: timestamp("claimed_until", { withTimezone: true }),
    lastResponseCode: integer("last_response_code"),
    lastLatencyMs: integer("last_latency_ms"),
    lastError: text("last_error"),
    createdAt: createdAt(),
    deliveredAt: timestamp("delivered_at", { withTimezone: true }),
  },
  (t) => [
    index("webhook_deliveries_due_idx")
      .on(t.nextAttemptAt)
      .where(sql`${t.status} = 'pending'`),
    index("webhook_deliveries_webhook_created_idx").on(t.webhookId, t.createdAt),
  ],
);

/**
 * An inference endpoint: a team's name for "serve this model", bound to an alias (follows it
 * as it moves) or to one fixed version. Deleting is soft (`deleted_at`): its replicas drain
 * first, and the name is free again at once.
 */
export const endpoints = pgTable(
  "endpoints",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    orgId: orgRef(),
    projectId: uuid("project_id").references(() => projects.id, { onDelete: "set null" }),
    name: text("name").notNull(),
    modelId: uuid("model_id")
      .notNull()
      .references(() => models.id, { onDelete: "cascade" }),
    /** The alias it follows; null when `version_id` fixes the version. */
    alias: text("alias"),
    versionId: uuid("version_id").references(() => modelVersions.id, { onDelete: "restrict" }),
    minReplicas: integer("min_replicas").notNull().default(1),
    maxReplicas: integer("max_replicas").notNull().default(1),
    /** Per replica, as a study's `run.resources`: {gpus, memory_gb, labels}. */
    resources: jsonb("resources")
      .notNull()
      .default(sql`'{}'::jsonb`),
    /** Autoscaling: in-flight requests one replica should carry (KPA's container concurrency target). */
    targetConcurrency: doublePrecision("target_concurrency").notNull().default(4),
    /** Autoscaling: how long the load must stay low before replicas drain (KPA's stable window). */
    scaleDownDelayMs: integer("scale_down_delay_ms").notNull().default(60_000),
    /** The autoscaler's replica count (null until it first runs: `min_replicas`), kept through rollouts. */
    desiredReplicas: integer("desired_replicas"),
    /** Why `desired_replicas` is what it is, for the endpoint page. */
    scaleReason: text("scale_reason"),
    /** Since when the load asks for fewer replicas than `desired_replicas` (null: it does not). */
    scaleLowSince: timestamp("scale_low_since", { withTimezone: true }),
    /** The most replicas the load asked for since `scale_low_since`: a scale-down goes to this. */
    scaleLowPeak: integer("scale_low_peak"),
    createdByUserId: uuid("created_by_user_id").references(() => users.id, { onDelete: "set null" }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
    deletedAt: timestamp("deleted_at", { withTimezone: true }),
  },
  (t) => [
    uniqueIndex("endpoints_org_name_key")
      .on(t.orgId, sql`lower(${t.name})`)
      .where(sql`${t.deletedAt} is null`),
  ],
);

export const replicaStateEnum = pgEnum("replica_state", ["pending", "starting", "ready", "draining", "stopped", "failed"]);

/**
 * One replica of an endpoint: a serving lease on an agent, fenced by `lease_token` and renewed
 * by the agent's heartbeats like a trial's. `pending` has no agent yet; `stopped` and `failed`
 * are ended (kept for the endpoint page's history).
 */
export const endpointReplicas = pgTable(
  "endpoint_replicas",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    orgId: orgRef(),
    endpointId: uuid("endpoint_id")
      .notNull()
      .references(() => endpoints.id, { onDelete: "cascade" }),
    modelVersionId: uuid("model_version_id")
      .notNull()
      .references(() => modelVersions.id, { onDelete: "cascade" }),
    agentId: uuid("agent_id").references(() => agents.id, { onDelete: "set null" }),
    state: replicaStateEnum("state").notNull().default("pending"),
    leaseToken: uuid("lease_token"),
    leaseExpiresAt: timestamp("lease_expires_at", { withTimezone: true }),
    /** Where the gateway reaches it (from `replica:ready`). */
    url: text("url"),
    /** GPU indices it holds on its agent. */
    gpus: jsonb("gpus")
      .notNull()
      .default(sql`'[]'::jsonb`),
    /** UPPER_SNAKE code and sentence when it failed or was stopped. */
    reason: text("reason"),
    createdAt: createdAt(),
    readyAt: timestamp("ready_at", { withTimezone: true }),
    endedAt: timestamp("ended_at", { withTimezone: true }),
  },
  (t) => [
    index("endpoint_replicas_endpoint_idx").on(t.endpointId, t.state),
    index("endpoint_replicas_agent_live_idx")
      .on(t.agentId)
      .where(sql`${t.state} in ('starting', 'ready', 'draining')`),
  ],
);

/**
 * Each server's gateway's recent load on an endpoint: time-averaged in-flight requests and
 * requests/s over its last report period, and the in-flight average per replica (the autoscaler
 * drains the least loaded). Upserted per (endpoint, server) only while the endpoint has traffic;
 * the autoscaler sums the fresh rows, so several servers behind one database add up.
 */
export const endpointLoad = pgTable(
  "endpoint_load",
  {
    endpointId: uuid("endpoint_id")
      .notNull()
      .references(() => endpoints.id, { onDelete: "cascade" }),
    serverId: text("server_id").notNull(),
    concurrency: doublePrecision("concurrency").notNull(),
    rps: doublePrecision("rps").notNull(),
    /** {replicaId: average in-flight requests} over the period. */
    replicaLoad: jsonb("replica_load")
      .notNull()
      .default(sql`'{}'::jsonb`),
    sampledAt: timestamp("sampled_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.endpointId, t.serverId] })],
);

/** The endpoint's version history: which version it served from when, and who moved it there. */
export const endpointRevisions = pgTable(
  "endpoint_revisions",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    orgId: orgRef(),
    endpointId: uuid("endpoint_id")
      .notNull()
      .references(() => endpoints.id, { onDelete: "cascade" }),
    modelVersionId: uuid("model_version_id")
      .notNull()
      .references(() => modelVersions.id, { onDelete: "cascade" }),
    /** Who moved it (null: the alias moved outside the endpoint, seen by the reconciler). */
    movedByUserId: uuid("moved_by_user_id").references(() => users.id, { onDelete: "set null" }),
    /** `create`, `update`, `deploy` or `alias` (the followed alias moved). */
    via: text("via").notNull(),
    movedAt: timestamp("moved_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index("endpoint_revisions_endpoint_idx").on(t.endpointId, t.movedAt)],
);

export const deployments = pgTable(
  "deployments",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    orgId: orgRef(),
    modelVersionId: uuid("model_version_id")
      .notNull()
      .references(() => modelVersions.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    status: text("status").notNull().default("pending"),
    endpoint: text("endpoint"),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex("deployments_org_name_key").on(t.orgId, t.name)],
);

export const auditLog = pgTable(
  "audit_log",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    orgId: uuid("org_id").references(() => organizations.id, { onDelete: "cascade" }),
    actorUserId: uuid("actor_user_id").references(() => users.id, { onDelete: "set null" }),
    actorTokenId: uuid("actor_token_id").references(() => apiTokens.id, { onDelete: "set null" }),
    /** `namespace.verb`, e.g. `study.create`, `token.revoke`, `membership.update`. */
    action: text("action").notNull(),
    targetType: text("target_type").notNull(),
    targetId: text("target_id"),
    details: jsonb("details")
      .notNull()
      .default(sql`'{}'::jsonb`),
    createdAt: createdAt(),
  },
  (t) => [index("audit_log_org_created_idx").on(t.orgId, t.createdAt)],
);

/** Fixed-window counters for API-token rate limits (S6c), shared by all server replicas. */
export const rateLimits = pgTable(
  "rate_limits",
  {
    key: text("key").notNull(),
    windowStart: timestamp("window_start", { withTimezone: true }).notNull(),
    count: integer("count").notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.key, t.windowStart] })],
);

/**
 * Sliding-window log of sign-in failures and sign-ups (S6): one row per event, counted over
 * the last window by account and by client. Rows are few (each key stops growing at its
 * limit) and old ones are pruned on write. `account_key` and `client_key` are hashes.
 */
export const authAttempts = pgTable(
  "auth_attempts",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    kind: text("kind").notNull(),
    accountKey: text("account_key"),
    clientKey: text("client_key").notNull(),
    at: timestamp("at", { withTimezone: true }).notNull(),
  },
  (t) => [
    index("auth_attempts_account_idx").on(t.kind, t.accountKey, t.at),
    index("auth_attempts_client_idx").on(t.kind, t.clientKey, t.at),
  ],
);
