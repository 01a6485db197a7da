"use client";
import { useQuery } from "@tanstack/react-query";
import { Empty, ErrorNote, SkeletonRows } from "@/components/ui";
import { formatDate } from "@/lib/format";
import { useTRPC } from "@/lib/trpc";
import { useOrg } from "../../app-shell";

export default function AuditPage() {
  const trpc = useTRPC();
  const { org, isAdmin } = useOrg();
  const audit = useQuery({ ...trpc.audit.list.queryOptions({ limit: 200 }), enabled: isAdmin });
  return (
    <>
      <div className="page-head">
        <div>
          <h1>Audit log</h1>
          <div className="sub">Who changed what in {org.name}: studies, trials, tokens and memberships.</div>
        </div>
      </div>
      <div className="card">
        {!isAdmin ? (
          <Empty title="Admins only">Ask an owner or admin of {org.name}.</Empty>
        ) : audit.isPending ? (
          <SkeletonRows />
        ) : audit.error ? (
          <div className="card-body">
            <ErrorNote error={audit.error} />
          </div>
        ) : audit.data.length === 0 ? (
          <Empty title="Nothing yet">Changes appear here as they happen.</Empty>
        ) : (
          <div className="table-wrap">
            <table data-testid="audit-table">
              <thead>
                <tr>
                  <th>When</th>
                  <th>Action</th>
                  <th>Target</th>
                  <th>Actor</th>
                  <th>Details</th>
                </tr>
              </thead>
              <tbody>
                {audit.data.map((a) => (
                  <tr key={a.id}>
                    <td className="muted" style={{ whiteSpace: "nowrap" }}>
                      {formatDate(a.createdAt)}
                    </td>
                    <td className="mono">{a.action}</td>
                    <td>
                      {a.targetType} <span className="faint mono">{a.targetId ? a.targetId.slice(0, 8) : ""}</span>
                    </td>
                    <td>{a.actor.email ?? (a.actor.tokenId ? "API token" : "system")}</td>
                    <td className="params" title={JSON.stringify(a.details)}>
                      {Object.entries(a.details)
                        .map(([k, v]) => `${k}=${typeof v === "object" ? JSON.stringify(v) : String(v)}`)
                        .join("  ")}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </div>
    </>
  );
}
