import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { parseArtifactStoreSpec } from "@autoglm/artifacts";
import { LOG_FORMATS, LOG_LEVELS } from "@autoglm/logging";
import { parseTrustedProxies } from "./client-ip.js";

/** The repository root (apps/server/dist/env.js → ../../..). */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");

const ZBool = z
  .union([z.boolean(), z.enum(["1", "0", "true", "false", "yes", "no", ""])])
  .transform((v) => v === true || v === "1" || v === "true" || v === "yes");

/**
 * Every setting the server reads, in one place (STYLE 7). Values come from the environment,
 * overridden by `startServer(options)` so tests never mutate `process.env`.
 */
export const ZServerEnv = z.object({
  PORT: z.coerce.number().int().min(0).max(65_535).default(3000),
  HOST: z.string().min(1).default("127.0.0.1"),
  /** postgres://… — when unset, an embedded PGlite database lives in AUTOGLM_DATA_DIR. */
  DATABASE_URL: z.string().url().optional(),
  AUTOGLM_DATA_DIR: z.string().min(1).default(path.join(REPO_ROOT, ".data")),
  /** Signs session cookies. Generated once and kept in the data dir when unset; never logged. */
  AUTH_SECRET: z.string().min(32, "AUTH_SECRET must be at least 32 characters").optional(),
  /** The origin browsers use; Socket.IO and mutations from any other Origin are refused (S5). */
  PUBLIC_URL: z.string().url().optional(),
  /** Extra origins allowed besides PUBLIC_URL (comma-separated), e.g. a reverse proxy's. */
  ALLOWED_ORIGINS: z.string().default(""),
  /**
   * How often expired ask-leases are failed with LEASE_EXPIRED. 5 s matches the sweep
   * interval in RELIABILITY.md; a lease is minutes long, so this bounds the lateness to 5 s.
   */
  ASK_SWEEP_INTERVAL_MS: z.coerce.number().int().min(50).default(5_000),
  /**
   * Overrides every study's `budget.lease_minutes` for ask-leases (ms). Unset in production;
   * tests and demos shrink it to see LEASE_EXPIRED without waiting 10 minutes.
   */
  ASK_LEASE_MS: z.coerce.number().int().min(100).optional(),
  /**
   * Proxies whose X-Forwarded-For is believed when finding a client's address for the sign-in
   * and sign-up limits (S6): a hop count ("1") or addresses/CIDRs ("loopback,10.0.0.0/8").
   * Empty (default): none; a client-sent X-Forwarded-For is ignored.
   */
  TRUSTED_PROXIES: z
    .string()
    .default("")
    .refine((v) => {
      try {
        parseTrustedProxies(v);
        return true;
      } catch {
        return false;
      }
    }, "must be a hop count or a comma-separated list of IP addresses, CIDRs or loopback/linklocal/uniquelocal"),
  /**
   * Budget of one optimizer call (an ask, a model-fitting pruner decision, importance), queue
   * wait included; past it the worker is stopped and the caller gets OPTIMIZER_TIMEOUT (S12).
   * 30 s is ~20x the slowest accepted GP ask measured (200 params, 100 trials: 1.4 s).
   */
  OPTIMIZER_TIMEOUT_MS: z.coerce.number().int().min(100).default(30_000),
  /**
   * Sampler plugins: comma-separated absolute paths of ES modules, each exporting a sampler
   * (packages/optimizer README, "Sampler plugins"); a study names one as `sampler: { name }`.
   */
  AUTOGLM_SAMPLER_PLUGINS: z
    .string()
    .default("")
    .transform((v) =>
      v
        .split(",")
        .map((p) => p.trim())
        .filter((p) => p !== ""),
    ),
  /**
   * /metrics (Prometheus) is never public by default. METRICS_PORT: a listener of its own on
   * METRICS_HOST (default loopback; the chart sets 0.0.0.0 for the cluster's Prometheus).
   * METRICS_TOKEN alone: /metrics on PORT with `Authorization: Bearer <token>`. Neither: 404.
   */
  METRICS_PORT: z.coerce.number().int().min(0).max(65_535).optional(),
  METRICS_HOST: z.string().min(1).default("127.0.0.1"),
  /** 16+ characters (a guessable token would make /metrics public); never logged. */
  METRICS_TOKEN: z.string().min(16, "METRICS_TOKEN must be at least 16 characters").optional(),
  /**
   * Lets team webhooks reach loopback and private addresses (10/8, 172.16/12, 192.168/16,
   * 100.64/10, fc00::/7): receivers inside the operator's own network. Off by default (S9);
   * link-local (the cloud metadata service) and the platform's own listener stay refused.
   */
  WEBHOOK_ALLOW_PRIVATE_TARGETS: ZBool.default(false),
  /**
   * Where trial artifacts go (packages/artifacts): unset → <AUTOGLM_DATA_DIR>/artifacts;
   * `file:///abs/path` or `/abs/path` → that directory; `s3://bucket/prefix` → an S3-compatible
   * bucket, reached at AWS_ENDPOINT_URL_S3 (else AWS_ENDPOINT_URL, else AWS itself) in AWS_REGION.
   * Credentials: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (+ AWS_SESSION_TOKEN) when set, else
   * the SDK's default chain (web identity, instance profile). None of these is ever logged.
   */
  ARTIFACT_STORE: z
    .string()
    .optional()
    .superRefine((value, ctx) => {
      try {
        parseArtifactStoreSpec(value, "/");
      } catch (err) {
        ctx.addIssue({ code: z.ZodIssueCode.custom, message: (err as Error).message.replace(/^ARTIFACT_STORE /, "") });
      }
    }),
  /**
   * Days the files of a trial attempt are kept once no model version references them (registered
   * versions' files are never deleted); 0 keeps every file forever. Swept hourly.
   */
  ARTIFACT_RETENTION_DAYS: z.coerce
    .number({ invalid_type_error: "must be a whole number of days (0 keeps artifacts forever)" })
    .int("must be a whole number of days (0 keeps artifacts forever)")
    .min(0, "must be 0 (keep forever) or more days")
    .max(36_500, "must be at most 36500 days (100 years); 0 keeps artifacts forever")
    .default(30),
  AWS_ENDPOINT_URL_S3: z.string().url().optional(),
  AWS_ENDPOINT_URL: z.string().url().optional(),
  AWS_REGION: z.string().min(1).optional(),
  AWS_ACCESS_KEY_ID: z.string().min(1).optional(),
  AWS_SECRET_ACCESS_KEY: z.string().min(1).optional(),
  AWS_SESSION_TOKEN: z.string().min(1).optional(),
  NODE_ENV: z.enum(["development", "production", "test"]).default("production"),
  AUTOGLM_QUIET: ZBool.default(false),
  /** `json` (one object a line: containers, log shippers) or `pretty` (a terminal; `npm start` sets it). */
  LOG_FORMAT: z.enum(LOG_FORMATS).default("json"),
  /** `debug` adds one line per database statement (verb and table only). */
  LOG_LEVEL: z.enum(LOG_LEVELS).default("info"),
});
export type TServerEnv = z.infer<typeof ZServerEnv>;

export function loadEnv(
  overrides: Partial<Record<keyof TServerEnv, unknown>> = {},
  source: Readonly<Record<string, string | undefined>> = process.env,
): TServerEnv {
  const raw: Record<string, unknown> = {};
  for (const key of Object.keys(ZServerEnv.shape)) {
    const v = source[key];
    if (v !== undefined && v !== "") raw[key] = v;
  }
  for (const [k, v] of Object.entries(overrides)) if (v !== undefined) raw[k] = v;
  const parsed = ZServerEnv.safeParse(raw);
  if (!parsed.success) {
    // Names the variable, never echoes its value (it may be a secret).
    const lines = parsed.error.issues.map((i) => `  ${i.path.join(".")}: ${i.message}`);
    throw new Error(`Invalid server configuration:\n${lines.join("\n")}`);
  }
  return parsed.data;
}

/** AUTH_SECRET from the environment, else the one persisted in the data dir, else a new one. */
export function resolveAuthSecret(env: TServerEnv): string {
  if (env.AUTH_SECRET) return env.AUTH_SECRET;
  const file = path.join(env.AUTOGLM_DATA_DIR, "auth-secret");
  if (existsSync(file)) {
    const saved = readFileSync(file, "utf8").trim();
    if (saved.length >= 32) return saved;
  }
  mkdirSync(env.AUTOGLM_DATA_DIR, { recursive: true });
  const secret = randomBytes(32).toString("base64url");
  writeFileSync(file, secret + "\n", { mode: 0o600 });
  return secret;
}
