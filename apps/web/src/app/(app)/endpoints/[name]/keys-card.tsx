"use client";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { ConfirmButton, ErrorNote, SecretReveal } from "@/components/ui";
import { formatDate, formatRelative } from "@/lib/format";
import type { TEndpointDetail } from "@/lib/endpoint-view";
import { useTRPC } from "@/lib/trpc";
import { useOrg } from "../../app-shell";

/** The endpoint's keys: create (the secret shown once, with a copy button) and revoke. */
export function KeysCard({ endpoint, keys }: { endpoint: string; keys: TEndpointDetail["keys"] }) {
  const trpc = useTRPC();
  const { canWrite } = useOrg();
  const queryClient = useQueryClient();
  const refresh = () => queryClient.invalidateQueries(trpc.endpoint.pathFilter());
  const create = useMutation(trpc.endpoint.keyCreate.mutationOptions({ onSuccess: refresh }));
  const revoke = useMutation(trpc.endpoint.keyRevoke.mutationOptions({ onSuccess: refresh }));
  const [label, setLabel] = useState("");
  const live = keys.filter((k) => !k.revokedAt);
  return (
    <div className="card" data-testid="endpoint-keys">
      <div className="card-head">
        <h2>Keys</h2>
        <span className="muted">each opens only this endpoint (scope infer)</span>
      </div>
      <div className="card-body stack">
        {create.data ? (
          <SecretReveal
            title="New endpoint key"
            value={create.data.key}
            warning="Shown this once: copy it now. Requests send it as Authorization: Bearer …"
            onDone={() => create.reset()}
            testId="endpoint-key-new"
          />
        ) : null}
        {live.length === 0 ? (
          <div className="muted">No live keys.</div>
        ) : (
          <table>
            <thead>
              <tr>
                <th>Key</th>
                <th>Name</th>
                <th>Created</th>
                <th>Last used</th>
                <th>Expires</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {live.map((k) => (
                <tr key={k.id} data-testid="endpoint-key-row" data-prefix={k.prefix}>
                  <td className="mono">{k.prefix}…</td>
                  <td>
                    {k.name} <span className="muted">by {k.createdBy}</span>
                  </td>
                  <td className="muted">{formatDate(k.createdAt)}</td>
                  <td className="muted">{k.lastUsedAt ? formatRelative(k.lastUsedAt) : "never"}</td>
                  <td className="muted">{formatDate(k.expiresAt)}</td>
                  <td>
                    {canWrite ? (
                      <ConfirmButton
                        label="Revoke"
                        confirmLabel="Revoke key"
                        question={`Requests with ${k.prefix}… will answer 401 from now on.`}
                        onConfirm={() => revoke.mutate({ endpoint, keyId: k.id })}
                        pending={revoke.isPending}
                        testId="endpoint-key-revoke"
                      />
                    ) : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        {canWrite ? (
          <form
            className="row"
            onSubmit={(e) => {
              e.preventDefault();
              create.mutate({ endpoint, ...(label.trim() ? { keyName: label.trim() } : {}) });
            }}
          >
            <input
              placeholder="label (optional)"
              value={label}
              onChange={(e) => setLabel(e.target.value)}
              aria-label="Key label"
            />
            <button type="submit" className="btn-primary" disabled={create.isPending} data-testid="endpoint-key-create">
              {create.isPending ? "Creating…" : "Create key"}
            </button>
          </form>
        ) : null}
        {create.error ? <ErrorNote error={create.error} /> : null}
        {revoke.error ? <ErrorNote error={revoke.error} /> : null}
      </div>
    </div>
  );
}
