"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { ConfirmButton, Empty, ErrorNote, SecretReveal, SkeletonRows } from "@/components/ui";
import { formatDate, formatRelative } from "@/lib/format";
import { useTRPC } from "@/lib/trpc";
import { useOrg } from "../../app-shell";

const SCOPES = [
  { id: "read", label: "read", help: "queries: list and read studies and trials" },
  { id: "write", label: "write", help: "create studies, ask / report / tell trials" },
  { id: "agent", label: "agent", help: "run an agent that trains trials" },
] as const;
type Scope = (typeof SCOPES)[number]["id"];

export default function TokensPage() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const { org, canWrite, isAdmin } = useOrg();
  const tokens = useQuery({ ...trpc.token.list.queryOptions(), enabled: canWrite });
  const projects = useQuery(trpc.project.list.queryOptions());
  const [revealed, setRevealed] = useState<{ token: string; name: string } | null>(null);
  const [name, setName] = useState("");
  const [scopes, setScopes] = useState<Scope[]>(["read", "write"]);
  const [projectId, setProjectId] = useState("");
  const [expiresInDays, setExpiresInDays] = useState("30");

  const create = useMutation(
    trpc.token.create.mutationOptions({
      onSuccess: async (res) => {
        setRevealed({ token: res.token, name });
        setName("");
        await queryClient.invalidateQueries({ queryKey: trpc.token.list.queryKey() });
      },
    }),
  );
  const revoke = useMutation(
    trpc.token.revoke.mutationOptions({
      onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.token.list.queryKey() }),
    }),
  );

  if (!canWrite) {
    return (
      <>
        <div className="page-head">
          <h1>API tokens</h1>
        </div>
        <div className="card">
          <Empty title="Viewers cannot create tokens">Ask an admin of {org.name} for the member role.</Empty>
        </div>
      </>
    );
  }

  return (
    <>
      <div className="page-head">
        <div>
          <h1>API tokens</h1>
          <div className="sub">
            For the SDK, the <code>autoglm</code> CLI, agents and plain HTTP (<code>Authorization: Bearer agl_…</code>). Tokens
            act in {org.name}.
          </div>
        </div>
      </div>

      {revealed ? (
        <div style={{ marginBottom: 16 }}>
          <SecretReveal
            title={`Token "${revealed.name}" created`}
            warning="Copy it now: it is shown only this once. We store only a hash of it."
            value={revealed.token}
            onDone={() => setRevealed(null)}
            testId="token-reveal"
          />
        </div>
      ) : null}

      <div className="card" style={{ marginBottom: 16 }}>
        <div className="card-head">
          <h2>New token</h2>
        </div>
        <form
          className="card-body"
          onSubmit={(e) => {
            e.preventDefault();
            create.mutate({
              name: name.trim(),
              scopes,
              ...(projectId ? { projectId } : {}),
              expiresInDays: Number(expiresInDays),
            });
          }}
        >
          <div className="grid-2">
            <div className="field">
              <label htmlFor="token-name">Name</label>
              <input
                id="token-name"
                required
                value={name}
                onChange={(e) => setName(e.target.value)}
                placeholder="laptop, ci, agent-gpu-01"
                data-testid="token-name"
              />
            </div>
            <div className="row" style={{ alignItems: "flex-start" }}>
              <div className="field" style={{ flex: 2 }}>
                <label htmlFor="token-project">Project</label>
                <select
                  id="token-project"
                  value={projectId}
                  onChange={(e) => setProjectId(e.target.value)}
                  data-testid="token-project"
                >
                  <option value="">All projects</option>
                  {(projects.data ?? []).map((p) => (
                    <option key={p.id} value={p.id}>
                      {p.name}
                    </option>
                  ))}
                </select>
              </div>
              <div className="field" style={{ flex: 1 }}>
                <label htmlFor="token-expiry">Expires</label>
                <select id="token-expiry" value={expiresInDays} onChange={(e) => setExpiresInDays(e.target.value)}>
                  <option value="7">in 7 days</option>
                  <option value="30">in 30 days</option>
                  <option value="90">in 90 days</option>
                  <option value="365">in 1 year</option>
                </select>
              </div>
            </div>
          </div>
          <div className="field">
            <label>Scopes</label>
            {SCOPES.map((s) => (
              <label key={s.id} className="checkbox" title={s.help}>
                <input
                  type="checkbox"
                  checked={scopes.includes(s.id)}
                  onChange={(e) => setScopes(e.target.checked ? [...scopes, s.id] : scopes.filter((x) => x !== s.id))}
                  data-testid={`scope-${s.id}`}
                />
                {s.label} <span className="faint">— {s.help}</span>
              </label>
            ))}
          </div>
          <ErrorNote error={create.error} />
          <button
            type="submit"
            className="btn-primary"
            disabled={create.isPending || !name.trim() || scopes.length === 0}
            data-testid="create-token"
            style={{ marginTop: 8 }}
          >
            {create.isPending ? "Creating…" : "Create token"}
          </button>
        </form>
      </div>

      <div className="card">
        <div className="card-head">
          <h2>{isAdmin ? "Tokens in this team" : "Your tokens"}</h2>
        </div>
        <ErrorNote error={revoke.error} />
        {tokens.isPending ? (
          <SkeletonRows />
        ) : tokens.error ? (
          <div className="card-body">
            <ErrorNote error={tokens.error} />
          </div>
        ) : tokens.data.length === 0 ? (
          <Empty title="No tokens yet">Create one above to use the CLI or the HTTP API.</Empty>
        ) : (
          <div className="table-wrap">
            <table data-testid="token-table">
              <thead>
                <tr>
                  <th>Name</th>
                  <th>Token</th>
                  <th>Scopes</th>
                  <th>Project</th>
                  <th>Last used</th>
                  <th>Expires</th>
                  {isAdmin ? <th>Owner</th> : null}
                  <th />
                </tr>
              </thead>
              <tbody>
                {tokens.data.map((t) => {
                  const expired = t.expiresAt ? new Date(t.expiresAt).getTime() < Date.now() : false;
                  const inactive = Boolean(t.revokedAt) || expired;
                  return (
                    <tr key={t.id} data-testid="token-row" style={inactive ? { opacity: 0.6 } : undefined}>
                      <td>{t.name}</td>
                      <td className="mono">{t.prefix}…</td>
                      <td>
                        {t.scopes.map((s) => (
                          <span key={s} className="chip">
                            {s}
                          </span>
                        ))}
                      </td>
                      <td>{t.projectId ? (projects.data?.find((p) => p.id === t.projectId)?.name ?? "one project") : "all"}</td>
                      <td title={formatDate(t.lastUsedAt)}>{formatRelative(t.lastUsedAt)}</td>
                      <td>
                        {t.revokedAt ? (
                          <span className="badge badge-failed">revoked</span>
                        ) : expired ? (
                          <span className="badge badge-stopped">expired</span>
                        ) : t.expiresAt ? (
                          formatDate(t.expiresAt)
                        ) : (
                          "never"
                        )}
                      </td>
                      {isAdmin ? <td className="muted">{t.userEmail}</td> : null}
                      <td style={{ textAlign: "right" }}>
                        {!t.revokedAt ? (
                          <ConfirmButton
                            label="Revoke"
                            confirmLabel="Revoke"
                            question="Programs using it stop at once."
                            onConfirm={() => revoke.mutate({ id: t.id })}
                            pending={revoke.isPending}
                            testId="revoke-token"
                          />
                        ) : null}
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        )}
      </div>
    </>
  );
}
