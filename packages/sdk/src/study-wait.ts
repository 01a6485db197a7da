import type { AutoglmClient } from "./client.js";
import type { StudyDetail } from "./router-types.js";
import { AutoglmError } from "./errors.js";

/**
 * `autoglm study wait`: follow a study until it ends, with a progress line, and turn its
 * outcome (and an optional `--fail-if "best > 0.1"`) into an exit code for CI.
 */

const UNIT_SECONDS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400 };

/** `90`, `90s`, `30m`, `2h`, `1h30m`, `1.5h`, `500ms` → seconds. Throws on anything else. */
export function parseDuration(raw: string): number {
  const text = raw.trim().toLowerCase();
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text);
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join("") !== text) {
    throw new AutoglmError("USAGE", `"${raw}" is not a duration; use e.g. 90s, 30m, 2h or 1h30m`);
  }
  return parts.reduce((sum, p) => sum + Number(p[1]) * UNIT_SECONDS[p[2]!]!, 0);
}

export type TComparison = "<" | "<=" | ">" | ">=" | "==" | "!=";

export interface TFailIf {
  text: string;
  op: TComparison;
  threshold: number;
}

/** `best > 0.1` (also `best>=1e-3`, `best != 0`) → the comparison; the job fails when it holds. */
export function parseFailIf(raw: string): TFailIf {
  const m = /^\s*best\s*(<=|>=|==|!=|<|>)\s*(\S+)\s*$/.exec(raw);
  const threshold = m ? Number(m[2]) : Number.NaN;
  if (!m || !Number.isFinite(threshold)) {
    throw new AutoglmError("USAGE", `--fail-if "${raw}" is not a condition like "best > 0.1" (operators < <= > >= == !=)`);
  }
  return { text: `best ${m[1]} ${m[2]}`, op: m[1] as TComparison, threshold };
}

export function failIfHolds(cond: TFailIf, best: number): boolean {
  switch (cond.op) {
    case "<":
      return best < cond.threshold;
    case "<=":
      return best <= cond.threshold;
    case ">":
      return best > cond.threshold;
    case ">=":
      return best >= cond.threshold;
    case "==":
      return best === cond.threshold;
    case "!=":
      return best !== cond.threshold;
  }
}

/** `1h05m`, `4m10s`, `12s`. */
export function formatSeconds(s: number): string {
  const t = Math.max(0, Math.round(s));
  const h = Math.floor(t / 3600);
  const m = Math.floor((t % 3600) / 60);
  const sec = t % 60;
  if (h > 0) return `${h}h${String(m).padStart(2, "0")}m`;
  if (m > 0) return `${m}m${String(sec).padStart(2, "0")}s`;
  return `${sec}s`;
}

function fmt(v: number): string {
  return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(6)));
}

export interface TWaitProgress {
  done: number;
  total: number;
  line: string;
}

/** `12/50 trials done (3 pruned, 1 failed), 2 running, best 0.41 (#7), ETA 3m10s`. */
export function progressLine(study: StudyDetail, etaSeconds: number | null): TWaitProgress {
  const c = study.counts;
  const done = c.complete + c.pruned + c.failed;
  const total = Math.max(study.spec.budget?.max_trials ?? done, done);
  const extra = [c.pruned ? `${c.pruned} pruned` : "", c.failed ? `${c.failed} failed` : ""].filter(Boolean).join(", ");
  const best = study.best ? `best ${fmt(study.best.value)} (#${study.best.number})` : "best -";
  const eta = etaSeconds === null ? "ETA -" : `ETA ${formatSeconds(etaSeconds)}`;
  return {
    done,
    total,
    line: `${study.name}: ${done}/${total} trials done${extra ? ` (${extra})` : ""}, ${c.running + c.waiting} running, ${best}, ${eta}`,
  };
}

export interface TWaitOptions {
  timeoutSeconds?: number;
  intervalSeconds: number;
  failIf?: TFailIf;
  /** Progress lines (stderr). */
  progress: (line: string, isFinal: boolean) => void;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

export interface TWaitResult {
  ok: boolean;
  /** One sentence: why the wait ended and how. */
  summary: string;
  study: StudyDetail;
  failIf?: { condition: string; best: number | null; holds: boolean };
}

/**
 * Polls `study.get` until the study is completed (ok, unless --fail-if holds), stopped or
 * failed (not ok), or the timeout passes (not ok). A poll that cannot reach the server is
 * retried at the next interval: a CI job should not fail for a blip while its study runs.
 */
export async function waitForStudy(client: AutoglmClient, studyId: string, opts: TWaitOptions): Promise<TWaitResult> {
  const now = opts.now ?? Date.now;
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const started = now();
  const deadline = opts.timeoutSeconds === undefined ? Number.POSITIVE_INFINITY : started + opts.timeoutSeconds * 1000;
  let first: number | null = null;
  let lastLine = "";
  let study: StudyDetail | undefined;
  for (;;) {
    try {
      study = await client.studies.get(studyId);
    } catch (err) {
      if (
        !(err instanceof AutoglmError) ||
        (err.code !== "UNREACHABLE" && err.httpStatus !== 502 && err.httpStatus !== 503 && err.httpStatus !== 504)
      ) {
        throw err;
      }
      opts.progress(`(${err.message}; trying again)`, false);
    }
    if (study) {
      const p = progressLine(study, null);
      first ??= p.done;
      const elapsed = (now() - started) / 1000;
      const rate = elapsed > 0 ? (p.done - first) / elapsed : 0;
      const eta = rate > 0 ? (p.total - p.done) / rate : null;
      const { line } = progressLine(study, study.state === "running" ? eta : null);
      const ended = study.state !== "running";
      if (line !== lastLine || ended) opts.progress(line, ended);
      lastLine = line;
      if (ended) return finish(study, opts.failIf);
    }
    if (now() >= deadline) {
      const last = study ? ` with ${progressLine(study, null).done} of ${progressLine(study, null).total} trials done` : "";
      return {
        ok: false,
        summary: `timed out after ${formatSeconds(opts.timeoutSeconds!)}: the study is still running${last}`,
        study: study ?? (await client.studies.get(studyId)),
      };
    }
    await sleep(Math.min(opts.intervalSeconds * 1000, Math.max(0, deadline - now())));
  }
}

function finish(study: StudyDetail, failIf: TFailIf | undefined): TWaitResult {
  if (study.state !== "completed") {
    return { ok: false, summary: `the study ended ${study.state}, not completed`, study };
  }
  const best = study.best?.value ?? null;
  if (!failIf) {
    return {
      ok: true,
      summary: `the study completed${best === null ? " with no complete trial" : `; best ${fmt(best)} (#${study.best!.number})`}`,
      study,
    };
  }
  if (best === null) {
    return {
      ok: false,
      summary: `the study completed with no complete trial, so "${failIf.text}" cannot be checked`,
      study,
      failIf: { condition: failIf.text, best: null, holds: true },
    };
  }
  const holds = failIfHolds(failIf, best);
  return {
    ok: !holds,
    summary: holds
      ? `failed: ${failIf.text} holds (best is ${fmt(best)}, trial #${study.best!.number})`
      : `the study completed; best ${fmt(best)} (#${study.best!.number}), so "${failIf.text}" does not hold`,
    study,
    failIf: { condition: failIf.text, best, holds },
  };
}
