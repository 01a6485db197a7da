import type { TrialDetail } from "../router-types.js";
import { cliDate } from "./endpoint-text.js";
import { formatParams, formatValue, renderTable } from "./output.js";

/** The end of a failed attempt's log that `trial get` prints: enough for a traceback's last frames. */
const LOG_LINES = 15;

/** `value 0.3` or `values 0.3, 12`, then feasibility with each constraint's violation (≤ 0 holds). */
function describeResult(t: TrialDetail): string {
  const value =
    t.values && t.values.length > 1 ? `values ${t.values.map(formatValue).join(", ")}` : `value ${formatValue(t.value)}`;
  if (t.feasible === null) return `${value}\n`;
  const violations = (t.constraintValues ?? []).map(formatValue).join(", ");
  return `${value}\n${t.feasible ? "feasible" : "infeasible"} (constraint violations ${violations}; ≤ 0 holds)\n`;
}

function duration(startedAt: string, endedAt: string | null): string {
  if (!endedAt) return "running";
  const s = (Date.parse(endedAt) - Date.parse(startedAt)) / 1000;
  return s < 120 ? `${s.toFixed(1)} s` : `${(s / 60).toFixed(1)} min`;
}

/**
 * `autoglm trial get`'s text: the state (and why it ended, when not simply completed), the
 * value(s), the params, each attempt (where it ran, how long, how it ended) and, for a trial
 * that failed, the last lines of its last attempt's log.
 */
export function trialText(t: TrialDetail): string {
  const by = t.proposedBy ? `, proposed by ${t.proposedBy}` : "";
  let out = `trial #${t.number} (${t.id}) ${t.state}${by}\n`;
  if (t.endCode && t.endCode !== "COMPLETED") out += `ended ${t.endCode}${t.endReason ? `: ${t.endReason}` : ""}\n`;
  out += describeResult(t);
  out += `${formatParams(t.params)}\n`;
  if (t.attempts.length > 0) {
    out += `\n${renderTable(
      ["ATTEMPT", "WHERE", "STARTED", "TOOK", "END"],
      t.attempts.map((a) => [
        String(a.attempt),
        a.leaseKind === "ask" ? "ask/tell" : `agent ${a.agentName ?? a.agentId ?? "?"}`,
        cliDate(a.startedAt),
        duration(a.startedAt, a.endedAt),
        a.endCode ?? "-",
      ]),
    )}`;
  }
  const last = t.attempts.at(-1);
  if (t.state === "failed" && last?.logTail) {
    const lines = last.logTail.trimEnd().split("\n").slice(-LOG_LINES);
    out += `\nlast log lines of attempt ${last.attempt}:\n${lines.map((l) => `  ${l}`).join("\n")}\n`;
  }
  return out;
}
