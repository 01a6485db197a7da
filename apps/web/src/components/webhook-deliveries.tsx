"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Empty, ErrorNote, SkeletonRows } from "@/components/ui";
import { formatDate, formatRelative } from "@/lib/format";
import { useTRPC } from "@/lib/trpc";

const STATUS_BADGE: Record<string, string> = { pending: "badge-waiting", delivered: "badge-completed", failed: "badge-failed" };

/** One webhook's latest deliveries, refreshed every 5 s while open (retries land on their own). */
export function WebhookDeliveries({ webhookId, canRedeliver }: { webhookId: string; canRedeliver: boolean }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const deliveries = useQuery({ ...trpc.webhook.deliveries.queryOptions({ webhookId }), refetchInterval: 5_000 });
  const redeliver = useMutation(
    trpc.webhook.redeliver.mutationOptions({
      onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.webhook.deliveries.queryKey({ webhookId }) }),
    }),
  );
  if (deliveries.isPending) return <SkeletonRows rows={2} />;
  if (deliveries.error) return <ErrorNote error={deliveries.error} />;
  if (deliveries.data.length === 0) {
    return <Empty title="No deliveries yet">Each subscribed event the team's studies and models raise is sent here.</Empty>;
  }
  return (
    <div className="table-wrap">
      <ErrorNote error={redeliver.error} />
      <table data-testid="delivery-table">
        <thead>
          <tr>
            <th>Event</th>
            <th>Status</th>
            <th>Response</th>
            <th>Latency</th>
            <th>Attempts</th>
            <th>Queued</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {deliveries.data.map((d) => (
            <tr key={d.id} data-testid="delivery-row">
              <td className="mono">{d.event}</td>
              <td>
                <span className={`badge ${STATUS_BADGE[d.status] ?? "badge-stopped"}`} data-testid="delivery-status">
                  {d.status}
                </span>
                {d.status === "pending" && d.attempts > 0 && d.nextAttemptAt ? (
                  <span className="faint"> retry {formatRelative(d.nextAttemptAt)}</span>
                ) : null}
              </td>
              <td title={d.error ?? undefined} data-testid="delivery-code">
                {d.responseCode ?? (d.error ? <span className="muted">{d.error}</span> : "—")}
              </td>
              <td>{d.latencyMs === null ? "—" : `${d.latencyMs} ms`}</td>
              <td>{d.attempts}</td>
              <td title={formatDate(d.createdAt)}>{formatRelative(d.createdAt)}</td>
              <td style={{ textAlign: "right" }}>
                {canRedeliver ? (
                  <button
                    onClick={() => redeliver.mutate({ deliveryId: d.id })}
                    disabled={redeliver.isPending}
                    data-testid="redeliver"
                  >
                    Redeliver
                  </button>
                ) : null}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
