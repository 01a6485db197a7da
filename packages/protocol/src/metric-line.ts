import { z } from "zod";
import { noNul } from "./text.js";

/**
 * The metric-line protocol (any language): a line on a trial command's stdout that is a JSON
 * object with the key `"autoglm"` is a report; every other line is the trial's log.
 *
 *   {"autoglm": 1, "step": 7, "metrics": {"loss": 0.42, "acc": 0.81}}   intermediate values
 *   {"autoglm": 1, "final": {"loss": 0.3}}                                explicit final values
 *   {"autoglm": 1, "source": {"git": "3f2a…", "repo": "https://…"}}      where the code came from
 *
 * A line that has the key but is malformed (a step that is not an integer, a non-finite
 * value) is reported as `invalid` so the agent can log why it ignored it, instead of
 * treating a typo as silence.
 */

export const METRIC_LINE_VERSION = 1 as const;
/** Lines longer than this are logs, never parsed (a 10 MB line must not stall the agent). */
export const MAX_METRIC_LINE_BYTES = 64 * 1024;
const MAX_METRICS = 100;

// Metric names are jsonb keys, which cannot hold NUL.
const ZMetricName = noNul(z.string().min(1).max(100));
export const ZMetricValues = z
  .record(ZMetricName, z.number().finite())
  .refine((m) => Object.keys(m).length <= MAX_METRICS, { message: `at most ${MAX_METRICS} metrics per line` });
export type TMetricValues = z.infer<typeof ZMetricValues>;

/**
 * The source reference a command prints once (the registry records it on a model version).
 * Each field is bounded, so a stored reference stays under ~2 KB whatever the line held.
 */
export const ZSourceRef = z
  .object({
    git: z
      .string()
      .regex(/^[0-9a-f]{7,64}$/i, "must be a commit sha: 7 to 64 hex digits")
      .transform((s) => s.toLowerCase())
      .optional(),
    // A clone URL may carry a token (https://user:token@host/…): the userinfo is dropped before
    // the reference is stored and shown to the team.
    repo: noNul(z.string().min(1).max(500))
      .transform((s) => s.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@]*@/i, "$1"))
      .optional(),
    branch: noNul(z.string().min(1).max(255)).optional(),
    path: noNul(z.string().min(1).max(1000)).optional(),
    dirty: z.boolean().optional(),
  })
  .strict()
  .refine((s) => Object.keys(s).length > 0, { message: "name at least one of git, repo, branch, path, dirty" });
export type TSourceRef = z.infer<typeof ZSourceRef>;

const ZSourceLine = z
  .object({
    autoglm: z.literal(METRIC_LINE_VERSION),
    source: ZSourceRef,
  })
  .strict();

export const ZMetricLine = z.union([
  z
    .object({
      autoglm: z.literal(METRIC_LINE_VERSION),
      step: z
        .number()
        .int()
        .min(0)
        .max(2 ** 31 - 1),
      metrics: ZMetricValues,
    })
    .strict(),
  z
    .object({
      autoglm: z.literal(METRIC_LINE_VERSION),
      final: ZMetricValues,
    })
    .strict(),
  ZSourceLine,
]);
export type TMetricLine = z.infer<typeof ZMetricLine>;

export type TParsedLine =
  | { kind: "log"; line: string }
  | { kind: "step"; step: number; metrics: TMetricValues }
  | { kind: "final"; metrics: TMetricValues }
  | { kind: "source"; source: TSourceRef }
  | { kind: "invalid"; line: string; error: string };

/** Classifies one stdout line (without its newline). Never throws. */
export function parseMetricLine(line: string): TParsedLine {
  const trimmed = line.trim();
  if (!trimmed.startsWith("{") || !trimmed.includes('"autoglm"') || trimmed.length > MAX_METRIC_LINE_BYTES) {
    return { kind: "log", line };
  }
  let raw: unknown;
  try {
    raw = JSON.parse(trimmed);
  } catch {
    return { kind: "log", line };
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw) || !Object.prototype.hasOwnProperty.call(raw, "autoglm")) {
    return { kind: "log", line };
  }
  // A line naming "source" is checked as a source line alone, so its error names the bad field
  // (the union's own error for it is only "Invalid input").
  const parsed = ("source" in raw ? ZSourceLine : ZMetricLine).safeParse(raw);
  if (!parsed.success) {
    const error = parsed.error.issues.map((i) => `${i.path.join(".") || "(line)"}: ${i.message}`).join("; ");
    return { kind: "invalid", line, error };
  }
  const d = parsed.data;
  if ("final" in d) return { kind: "final", metrics: d.final };
  if ("source" in d) return { kind: "source", source: d.source };
  return { kind: "step", step: d.step, metrics: d.metrics };
}

/** Formats a report line (for JavaScript trial commands and tests). */
export function formatMetricLine(step: number, metrics: TMetricValues): string {
  return JSON.stringify({ autoglm: METRIC_LINE_VERSION, step, metrics });
}

export function formatFinalLine(metrics: TMetricValues): string {
  return JSON.stringify({ autoglm: METRIC_LINE_VERSION, final: metrics });
}

export function formatSourceLine(source: TSourceRef): string {
  return JSON.stringify({ autoglm: METRIC_LINE_VERSION, source });
}
