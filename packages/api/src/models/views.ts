import { z } from "zod";
import type { TModelVersionRow } from "@autoglm/db/queries";
import { iso } from "../procedures/shared.js";
import { MODEL_FLAVORS } from "./flavor.js";
import { ZLineage } from "./lineage.js";
import { modelFileDownloadPath, versionUri } from "./references.js";

export const ZModelFile = z.object({
  /** The file's path relative to the attempt's output dir. */
  name: z.string(),
  sizeBytes: z.number().int(),
  sha256: z.string(),
  /** GET it with the session cookie or a read-scoped token; the server refuses a file whose bytes changed. */
  downloadUrl: z.string(),
});

export const ZModelSignature = z
  .object({
    inputs: z.object({ dtype: z.literal("float32"), shape: z.tuple([z.number(), z.number()]) }),
    outputs: z.object({ task: z.enum(["classification", "regression"]), size: z.number().int() }),
  })
  .nullable();

export const ZModelVersion = z.object({
  model: z.string(),
  version: z.number().int(),
  /** `models:/<name>/<version>`. */
  uri: z.string(),
  /** SHA-256 of the canonical manifest (README "Model registry" says how to recompute it). */
  digest: z.string(),
  flavor: z.enum(MODEL_FLAVORS),
  signature: ZModelSignature,
  totalBytes: z.number().int(),
  files: z.array(ZModelFile),
  /** The aliases pointing at this version. */
  aliases: z.array(z.string()),
  metrics: z.record(z.string(), z.number()),
  lineage: ZLineage,
  /** The source reference the trial's command printed; null when it printed none. */
  source: z.record(z.string(), z.unknown()).nullable(),
  description: z.string().nullable(),
  studyId: z.string().nullable(),
  trialId: z.string().nullable(),
  attempt: z.number().int(),
  createdAt: z.string(),
  createdByEmail: z.string().nullable(),
  deletedAt: z.string().nullable(),
});
export type TModelVersionView = z.infer<typeof ZModelVersion>;

export function versionView(orgId: string, modelName: string, row: TModelVersionRow, aliases: string[]): TModelVersionView {
  return {
    model: modelName,
    version: row.version,
    uri: versionUri(modelName, row.version),
    digest: row.digest,
    flavor: row.flavor as TModelVersionView["flavor"],
    signature: (row.signature ?? null) as TModelVersionView["signature"],
    totalBytes: row.totalBytes,
    files: row.files.map((f) => ({
      name: f.name,
      sizeBytes: f.sizeBytes,
      sha256: f.sha256,
      downloadUrl: modelFileDownloadPath({ orgId, name: modelName, version: row.version, file: f.name }),
    })),
    aliases,
    metrics: (row.metrics ?? {}) as Record<string, number>,
    lineage: row.lineage as TModelVersionView["lineage"],
    source: (row.source ?? null) as TModelVersionView["source"],
    description: row.description,
    studyId: row.studyId,
    trialId: row.trialId,
    attempt: row.attempt,
    createdAt: iso(row.createdAt),
    createdByEmail: row.createdByEmail,
    deletedAt: iso(row.deletedAt),
  };
}
