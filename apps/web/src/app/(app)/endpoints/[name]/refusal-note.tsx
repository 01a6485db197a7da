"use client";
import { formatDate } from "@/lib/format";
import type { TEndpointDetail } from "@/lib/endpoint-view";

/**
 * "Version 2 refused: <why>" when the endpoint's target version did not come up, with which
 * version keeps serving and whether the platform is still trying (it stops after repeated
 * failures within an hour and tries again later, or when the alias moves).
 */
export function RefusalNote({ endpoint }: { endpoint: TEndpointDetail }) {
  const r = endpoint.refusal;
  if (!r) return null;
  const serving = [...new Set(endpoint.replicas.filter((x) => x.state === "ready").map((x) => x.version))].sort((a, b) => a - b);
  const times = `${r.failures} failure${r.failures === 1 ? "" : "s"} in the last hour`;
  return (
    <div className="notice notice-warn" role="status" data-testid="endpoint-refusal" style={{ marginBottom: 16 }}>
      <strong>
        Version {r.version} refused: {r.reason}
      </strong>
      <div>
        {serving.length > 0
          ? `Version ${serving.join(", ")} keeps serving. `
          : "No version is serving: requests get 503 until one is ready. "}
        {r.retryAt
          ? `Stopped starting v${r.version} after ${times}; it is tried again after ${formatDate(r.retryAt)}, or move the alias to another version.`
          : `${times}; retrying.`}
      </div>
    </div>
  );
}
