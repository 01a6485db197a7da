import { z } from "zod";

/** Text a user typed: bounded, trimmed, and free of NUL (Postgres text cannot hold it). */
export const zText = (max: number, min = 0) =>
  z
    .string()
    .trim()
    .min(min, min === 1 ? "is required" : `must have at least ${min} characters`)
    .max(max, `must be at most ${max} characters`)
    .refine((s) => !s.includes("\u0000"), "must not contain NUL characters");

export const zId = z.string().uuid("must be an id (uuid)");
export const zRole = z.enum(["owner", "admin", "member", "viewer"]);
export const zIso = z.string();
export const zIsoOrNull = z.string().nullable();
export const zParams = z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()]));
export const zTrialState = z.enum(["waiting", "running", "complete", "pruned", "failed"]);
export const zStudyState = z.enum(["running", "stopped", "completed", "failed"]);
export const zOk = z.object({ ok: z.literal(true) });

export function iso(d: Date): string;
export function iso(d: Date | null | undefined): string | null;
export function iso(d: Date | null | undefined): string | null {
  return d ? d.toISOString() : null;
}

export type TParamsOut = z.infer<typeof zParams>;
export function paramsOut(p: unknown): TParamsOut {
  return (p ?? {}) as TParamsOut;
}
