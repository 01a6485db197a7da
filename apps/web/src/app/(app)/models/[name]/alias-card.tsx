"use client";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { ErrorNote } from "@/components/ui";
import { formatDate } from "@/lib/format";
import { useTRPC } from "@/lib/trpc";
import { useOrg } from "../../app-shell";

interface AliasCardProps {
  model: string;
  aliases: Array<{ alias: string; version: number; updatedAt: string }>;
  /** Live version numbers, oldest first. */
  versions: number[];
}

const VIEWER_REASON = "Viewers can read and download models; moving or removing an alias needs the member role.";

/** The model's aliases with Remove, and "Move alias": a name (new or existing) pointed at a live version. */
export function AliasCard({ model, aliases, versions }: AliasCardProps) {
  const { canWrite } = useOrg();
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const refresh = () => queryClient.invalidateQueries(trpc.model.pathFilter());
  const move = useMutation(trpc.model.setAlias.mutationOptions({ onSuccess: refresh }));
  const remove = useMutation(trpc.model.removeAlias.mutationOptions({ onSuccess: refresh }));
  const [alias, setAlias] = useState("");
  const [version, setVersion] = useState<number | "">("");
  const target = version === "" ? versions.at(-1) : version;

  return (
    <div className="card" data-testid="alias-card">
      <div className="card-head">
        <h2>Aliases</h2>
        <span className="muted">movable names; models:/{model}@ALIAS resolves to the version</span>
      </div>
      <div className="card-body stack">
        {aliases.length === 0 ? (
          <div className="muted">No aliases yet.</div>
        ) : (
          <ul className="list" data-testid="alias-list">
            {aliases.map((a) => (
              <li key={a.alias} data-testid="alias-row" data-alias={a.alias} data-version={a.version}>
                <div>
                  <span className="mono">{a.alias}</span> → <strong>v{a.version}</strong>
                  <div className="meta">moved {formatDate(a.updatedAt)}</div>
                </div>
                <button
                  className="btn-sm btn-danger"
                  disabled={!canWrite || remove.isPending}
                  title={canWrite ? `Remove alias ${a.alias} (the version stays)` : VIEWER_REASON}
                  onClick={() => remove.mutate({ name: model, alias: a.alias })}
                  data-testid="remove-alias"
                >
                  Remove
                </button>
              </li>
            ))}
          </ul>
        )}
        <ErrorNote error={remove.error} testId="remove-alias-error" />
        <form
          onSubmit={(e) => {
            e.preventDefault();
            if (target !== undefined) move.mutate({ name: model, alias: alias.trim(), version: target });
          }}
        >
          <fieldset
            disabled={!canWrite || versions.length === 0}
            style={{ border: 0, padding: 0, margin: 0 }}
            data-testid="move-alias-form"
          >
            <div className="row" style={{ alignItems: "flex-end" }}>
              <div className="field" style={{ marginBottom: 0 }}>
                <label htmlFor="move-alias-name">Alias</label>
                <input
                  id="move-alias-name"
                  list="move-alias-names"
                  placeholder="production"
                  value={alias}
                  onChange={(e) => setAlias(e.target.value)}
                  data-testid="move-alias-name"
                />
                <datalist id="move-alias-names">
                  {aliases.map((a) => (
                    <option key={a.alias} value={a.alias} />
                  ))}
                </datalist>
              </div>
              <div className="field" style={{ marginBottom: 0 }}>
                <label htmlFor="move-alias-version">Version</label>
                <select
                  id="move-alias-version"
                  value={target ?? ""}
                  onChange={(e) => setVersion(Number(e.target.value))}
                  data-testid="move-alias-version"
                >
                  {[...versions].reverse().map((n) => (
                    <option key={n} value={n}>
                      v{n}
                    </option>
                  ))}
                </select>
              </div>
              <button
                type="submit"
                className="btn-primary"
                disabled={move.isPending || !alias.trim()}
                data-testid="move-alias-submit"
              >
                {move.isPending ? "Moving…" : "Move alias"}
              </button>
            </div>
          </fieldset>
        </form>
        {!canWrite ? (
          <div className="muted" data-testid="move-alias-disabled-reason">
            {VIEWER_REASON}
          </div>
        ) : null}
        <ErrorNote error={move.error} testId="move-alias-error" />
        {move.data ? (
          <div className="notice notice-ok" data-testid="move-alias-done">
            {move.data.alias} now points at v{move.data.version}
            {move.data.previousVersion !== null ? ` (was v${move.data.previousVersion})` : " (new alias)"}.
          </div>
        ) : null}
      </div>
    </div>
  );
}
