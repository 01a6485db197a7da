import { revisionCause } from "@autoglm/protocol";
import type { EndpointDetail } from "../router-types.js";
import { renderTable } from "./output.js";

/** `2026-12-06 10:20:30` from an ISO time; `-` for none. */
export const cliDate = (iso: string | null) => (iso ? iso.slice(0, 19).replace("T", " ") : "-");

/** `model@alias → v3`, or `→ (no version)` while the alias names nothing. */
export const endpointTarget = (e: { model: string; alias: string | null; targetVersion: number | null }) =>
  `${e.model}${e.alias ? `@${e.alias}` : ""}${e.targetVersion !== null ? ` → v${e.targetVersion}` : " → (no version)"}`;

/** Why the target version is not serving, said before the replica table, where a person looks first. */
function refusalText(e: EndpointDetail): string {
  const r = e.refusal;
  if (!r) return "";
  const still = e.replicas.some((x) => x.state === "ready") ? "the version before it keeps serving" : "nothing is serving";
  const retry = r.retryAt
    ? `stopped starting it after ${r.failures} failures in the last hour; tries again at ${cliDate(r.retryAt)}`
    : `${r.failures} failure${r.failures === 1 ? "" : "s"} in the last hour; still trying`;
  return `REFUSED: version ${r.version} did not come up (${still}): ${r.reason}\n  ${retry}\n\n`;
}

/** What `autoglm endpoint show` (and `update`) print. */
export function endpointText(e: EndpointDetail): string {
  const head =
    `${e.name}: ${endpointTarget(e)}\nURL: ${e.url}\nprotocols: ${e.protocols.join(", ")}\n` +
    `replicas: min ${e.minReplicas}, max ${e.maxReplicas}, ${e.resources.gpus} GPU each; ` +
    `autoscale: target ${e.autoscale.targetConcurrency} in flight per replica, scale down after ${e.autoscale.scaleDownDelaySeconds} s\n` +
    `scaling: ${e.scaling.desiredReplicas} desired, concurrency ${e.scaling.concurrency.toFixed(1)}, ` +
    `${e.scaling.rps.toFixed(1)} req/s — ${e.scaling.reason}\n\n`;
  const live = e.replicas.filter((r) => r.state !== "stopped");
  const replicas = live.length
    ? renderTable(
        ["REPLICA", "VERSION", "STATE", "AGENT", "SINCE", "REASON"],
        live.map((r) => [
          r.id.slice(0, 8),
          `v${r.version}`,
          r.state,
          r.agent ?? "-",
          cliDate(r.readyAt ?? r.createdAt),
          r.reason ?? "",
        ]),
      )
    : "no live replicas\n";
  const versions = `\nversions:\n${e.revisions.map((r) => `  v${r.version}  ${cliDate(r.movedAt)}  ${revisionCause(r.via)}, by ${r.movedBy ?? "the platform"}\n`).join("")}`;
  const keys = e.keys.filter((k) => !k.revokedAt);
  const keyLines = keys.map((k) => `  ${k.id}  ${k.prefix}…  ${k.name}  by ${k.createdBy}  expires ${cliDate(k.expiresAt)}\n`);
  return head + refusalText(e) + replicas + versions + `\nkeys:\n${keyLines.join("") || "  none\n"}`;
}
