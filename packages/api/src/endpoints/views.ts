import { z } from "zod";
import {
  findOrg,
  listEndpointKeys,
  listEndpointReplicas,
  listEndpointRevisions,
  type DbOrTx,
  type TenantScope,
  type TEndpointRow,
} from "@autoglm/db/queries";
import { BUILTIN_DATASETS, type TBuiltinDataset } from "@autoglm/protocol";
import { iso } from "../procedures/shared.js";
import { refusalOf, ZEndpointRefusal } from "./refusal.js";
import { desiredReplicasOf, endpointScaling, ZEndpointScaling, type TScalePoint } from "./scaling-view.js";

/** The protocols a replica of each flavor speaks (the paths below the endpoint's URL). */
export const SERVE_PROTOCOLS = ["mlflow", "kserve-v2", "openai"] as const;
export type TServeProtocol = (typeof SERVE_PROTOCOLS)[number];

/**
 * A builtin glm is a language model (the OpenAI routes only) when it was trained on a text
 * dataset; on a tabular one it is a linear model saved as an MLP (MLflow and KServe v2).
 */
export function protocolsOf(flavor: string | null, builtinDataset: string | null = null): TServeProtocol[] {
  // A team's own server speaks /invocations (like an MLflow pyfunc container); whatever else it serves is proxied too.
  if (flavor === "command") return ["mlflow"];
  if (flavor === "builtin-glm" && isTextDataset(builtinDataset)) return ["openai"];
  return ["mlflow", "kserve-v2"];
}

function isTextDataset(name: string | null): boolean {
  return name !== null && Object.hasOwn(BUILTIN_DATASETS, name) && BUILTIN_DATASETS[name as TBuiltinDataset].kind === "text";
}

const ZResources = z.object({
  gpus: z.number().int(),
  memory_gb: z.number().optional(),
  labels: z.record(z.string(), z.string()).optional(),
});

export const ZReplicaState = z.enum(["pending", "starting", "ready", "draining", "stopped", "failed"]);

export const ZEndpointView = z.object({
  id: z.string(),
  name: z.string(),
  model: z.string(),
  /** The alias it follows, or null when `fixedVersion` pins it. */
  alias: z.string().nullable(),
  fixedVersion: z.number().int().nullable(),
  /** The version it serves (or is moving to) now; null when its alias names nothing. */
  targetVersion: z.number().int().nullable(),
  minReplicas: z.number().int(),
  maxReplicas: z.number().int(),
  /** How many replicas the autoscaler wants now, between min and max (what "ready" is counted against). */
  desiredReplicas: z.number().int(),
  /** Autoscaling between min and max (changes.ts ZAutoscale), with the defaults filled in. */
  autoscale: z.object({ targetConcurrency: z.number(), scaleDownDelaySeconds: z.number() }),
  resources: ZResources,
  /** `/serve/<team-slug>/<endpoint>`: every protocol path hangs from it. */
  path: z.string(),
  /** The full URL (PUBLIC_URL + path), or the path where the server's URL is not known. */
  url: z.string(),
  /** Live replicas by state. */
  replicaCounts: z.object({ pending: z.number(), starting: z.number(), ready: z.number(), draining: z.number() }),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type TEndpointView = z.infer<typeof ZEndpointView>;

export const ZEndpointDetail = ZEndpointView.extend({
  protocols: z.array(z.enum(SERVE_PROTOCOLS)),
  /** Why the target version is not serving (its replicas failed; the previous version keeps serving); null when nothing failed. */
  refusal: ZEndpointRefusal.nullable(),
  /** Load, the autoscaler's count and why, and the recent history for the chart. */
  scaling: ZEndpointScaling,
  replicas: z.array(
    z.object({
      id: z.string(),
      version: z.number().int(),
      state: ZReplicaState,
      agent: z.string().nullable(),
      gpus: z.array(z.number().int()),
      /** Why it failed or stopped (`AGENT_LOST: …`, the agent's reason). */
      reason: z.string().nullable(),
      createdAt: z.string(),
      readyAt: z.string().nullable(),
      endedAt: z.string().nullable(),
    }),
  ),
  revisions: z.array(
    z.object({ version: z.number().int(), via: z.string(), movedBy: z.string().nullable(), movedAt: z.string() }),
  ),
  keys: z.array(
    z.object({
      id: z.string(),
      name: z.string(),
      prefix: z.string(),
      createdBy: z.string(),
      expiresAt: z.string().nullable(),
      lastUsedAt: z.string().nullable(),
      revokedAt: z.string().nullable(),
      createdAt: z.string(),
    }),
  ),
});
export type TEndpointDetail = z.infer<typeof ZEndpointDetail>;

type TReplicaRow = Awaited<ReturnType<typeof listEndpointReplicas>>[number];

export function endpointPath(teamSlug: string, name: string): string {
  return `/serve/${encodeURIComponent(teamSlug)}/${encodeURIComponent(name)}`;
}

function countsOf(replicas: TReplicaRow[]): TEndpointView["replicaCounts"] {
  const c = { pending: 0, starting: 0, ready: 0, draining: 0 };
  for (const r of replicas) if (r.state in c) c[r.state as keyof typeof c]++;
  return c;
}

function viewOf(e: TEndpointRow, slug: string, publicUrl: string | undefined, replicas: TReplicaRow[]): TEndpointView {
  const path = endpointPath(slug, e.name);
  return {
    id: e.id,
    name: e.name,
    model: e.modelName,
    alias: e.alias,
    fixedVersion: e.fixedVersion,
    targetVersion: e.targetVersion,
    minReplicas: e.minReplicas,
    maxReplicas: e.maxReplicas,
    desiredReplicas: desiredReplicasOf(e),
    autoscale: { targetConcurrency: e.targetConcurrency, scaleDownDelaySeconds: e.scaleDownDelayMs / 1000 },
    resources: { gpus: e.resources.gpus ?? 0, ...e.resources },
    path,
    url: publicUrl ? `${publicUrl.replace(/\/$/, "")}${path}` : path,
    replicaCounts: countsOf(replicas),
    createdAt: iso(e.createdAt),
    updatedAt: iso(e.updatedAt),
  };
}

async function teamSlugOf(db: DbOrTx, scope: TenantScope): Promise<string> {
  return (await findOrg(db, { orgId: scope.orgId }))?.slug ?? "";
}

export async function endpointViews(
  db: DbOrTx,
  scope: TenantScope,
  rows: TEndpointRow[],
  publicUrl: string | undefined,
): Promise<TEndpointView[]> {
  const slug = await teamSlugOf(db, scope);
  const live = await listEndpointReplicas(db, scope, { endpointIds: rows.map((r) => r.id), limit: 10_000, liveOnly: true });
  return rows.map((e) =>
    viewOf(
      e,
      slug,
      publicUrl,
      live.filter((r) => r.endpointId === e.id),
    ),
  );
}

export async function endpointDetail(
  db: DbOrTx,
  scope: TenantScope,
  e: TEndpointRow,
  input: {
    publicUrl: string | undefined;
    flavor: string | null;
    scaleHistory?: ((endpointId: string) => TScalePoint[]) | undefined;
  },
): Promise<TEndpointDetail> {
  const slug = await teamSlugOf(db, scope);
  const replicas = await listEndpointReplicas(db, scope, { endpointIds: [e.id], limit: 100 });
  const revisions = await listEndpointRevisions(db, scope, e.id);
  const keys = await listEndpointKeys(db, scope, e.id);
  const view = viewOf(e, slug, input.publicUrl, replicas);
  const history = input.scaleHistory?.(e.id) ?? [];
  return {
    ...view,
    protocols: protocolsOf(input.flavor, e.targetBuiltinDataset),
    refusal: refusalOf(e.targetVersion, replicas),
    scaling: await endpointScaling(db, scope, e, { pending: view.replicaCounts.pending, history }),
    replicas: replicas.map((r) => ({
      id: r.id,
      version: r.version,
      state: r.state,
      agent: r.agentName,
      gpus: (r.gpus ?? []) as number[],
      reason: r.reason,
      createdAt: iso(r.createdAt),
      readyAt: iso(r.readyAt),
      endedAt: iso(r.endedAt),
    })),
    revisions: revisions.map((r) => ({ version: r.version, via: r.via, movedBy: r.movedByEmail, movedAt: iso(r.movedAt) })),
    keys: keys.map((k) => ({
      id: k.id,
      name: k.name,
      prefix: k.prefix,
      createdBy: k.createdByEmail,
      expiresAt: iso(k.expiresAt),
      lastUsedAt: iso(k.lastUsedAt),
      revokedAt: iso(k.revokedAt),
      createdAt: iso(k.createdAt),
    })),
  };
}
