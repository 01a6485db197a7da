import type { DbHandle } from "@autoglm/db/client";
import type { TTrialComplete, TTrialEndCode } from "@autoglm/protocol";
import { agentMayActSql } from "./agent-token.js";
import { num } from "./agent-types.js";
import { endAttempt, isRetryable, type EndAttemptInput, type EndedAttempt } from "./retry.js";

export type CompleteResult =
  | { ok: true; duplicate: false; ended: EndedAttempt }
  | { ok: true; duplicate: true; state: EndedAttempt["state"] | "running" }
  | { ok: false; code: "STALE_LEASE" | "UNAUTHORIZED"; message: string };

/**
 * An agent reports the end of an attempt. The objective's final value is the explicit
 * `final` line, else the last reported value of the objective metric; exit 0 without either
 * fails the trial USER_NO_OBJECTIVE. A replay of a completion already stored (same trial,
 * same token) is acknowledged as a duplicate and changes nothing but a missing log tail (R7).
 */
export async function completeAgentTrial(
  handle: DbHandle,
  input: { agentId: string; msg: TTrialComplete },
): Promise<CompleteResult> {
  const m = input.msg;
  const [trial] = await handle.query<Record<string, unknown>>(
    `SELECT t.state, t.lease_token, t.attempt, t.agent_id, t.lease_kind, s.metric, ${agentMayActSql("$2")} AS may_act
     FROM trials t JOIN studies s ON s.id = t.study_id WHERE t.id = $1`,
    [m.trialId, input.agentId],
    "complete_lookup",
  );
  // S13: the agent's token no longer acts for its team (owner removed, made a viewer or
  // deactivated; token revoked): its result is not stored, whatever it claims.
  if (trial && trial.may_act !== true) {
    return { ok: false, code: "UNAUTHORIZED", message: "this agent's token can no longer act in its team" };
  }
  const holds =
    trial &&
    String(trial.lease_token) === m.leaseToken &&
    num(trial.attempt) === m.attempt &&
    String(trial.agent_id) === input.agentId &&
    trial.lease_kind === "agent";
  if (!trial || !holds) return { ok: false, code: "STALE_LEASE", message: "this attempt no longer holds the trial's lease" };
  if (trial.state !== "running") {
    if (m.logTail) {
      await handle.query(`UPDATE trial_attempts SET log_tail = $3 WHERE trial_id = $1 AND attempt = $2 AND log_tail IS NULL`, [
        m.trialId,
        m.attempt,
        m.logTail,
      ]);
    }
    return { ok: true, duplicate: true, state: trial.state as EndedAttempt["state"] };
  }

  const metric = String(trial.metric);
  const base = {
    trialId: m.trialId,
    leaseToken: m.leaseToken,
    agentId: input.agentId,
    lastStep: m.lastStep ?? null,
    logTail: m.logTail ?? null,
  };
  let end: EndAttemptInput;
  const failed = (code: TTrialEndCode, reason: string): EndAttemptInput => ({
    ...base,
    mode: isRetryable(code) ? "retry" : "failed",
    code,
    reason,
  });
  switch (m.outcome) {
    case "complete": {
      let value: number | undefined = m.final?.[metric] ?? m.lastMetrics?.[metric];
      if (value === undefined) {
        const [last] = await handle.query<{ value: unknown }>(
          `SELECT value FROM trial_values WHERE trial_id = $1 ORDER BY step DESC LIMIT 1`,
          [m.trialId],
        );
        if (last) value = num(last.value);
      }
      end =
        value === undefined
          ? failed("USER_NO_OBJECTIVE", `the command exited 0 but reported no value of "${metric}"`)
          : { ...base, mode: "complete", code: "COMPLETED", reason: "completed", value };
      break;
    }
    case "failed": {
      const code = m.code ?? "USER_COMMAND_EXIT_NONZERO";
      end = failed(code, m.reason ?? describeExit(m.exitCode, m.signal));
      break;
    }
    case "pruned": {
      const [last] = await handle.query<{ value: unknown; step: unknown }>(
        `SELECT value, step FROM trial_values WHERE trial_id = $1 ORDER BY step DESC LIMIT 1`,
        [m.trialId],
      );
      end = { ...base, mode: "pruned", code: "PRUNED", reason: m.reason ?? "pruned", value: last ? num(last.value) : null };
      break;
    }
    case "stopped":
      end = { ...base, mode: "failed", code: "USER_STOPPED", reason: m.reason ?? "stopped" };
      break;
    case "handback":
      end = {
        ...base,
        mode: "retry",
        code: "AGENT_SHUTDOWN",
        reason: m.reason ?? "the agent shut down and handed the trial back",
      };
      break;
    case "rejected":
      end = { ...base, mode: "retry", code: "LEASE_REJECTED", reason: m.reason ?? "the agent could not start the trial" };
      break;
  }
  const ended = await endAttempt(handle, end);
  if (!ended) {
    // Lost a race with the sweeper, a prune or a stop between the read and the update.
    const [now] = await handle.query<{ state: string; lease_token: unknown }>(
      `SELECT state, lease_token FROM trials WHERE id = $1`,
      [m.trialId],
    );
    if (now && String(now.lease_token) === m.leaseToken && now.state !== "running") {
      return { ok: true, duplicate: true, state: now.state as EndedAttempt["state"] };
    }
    return { ok: false, code: "STALE_LEASE", message: "this attempt no longer holds the trial's lease" };
  }
  return { ok: true, duplicate: false, ended };
}

function describeExit(exitCode: number | null, signal: string | null): string {
  if (signal) return `the command was killed by ${signal}`;
  return `the command exited with code ${exitCode ?? "unknown"}`;
}
