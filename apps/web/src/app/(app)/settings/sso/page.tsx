"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { Empty, ErrorNote, SkeletonRows } from "@/components/ui";
import { useTRPC } from "@/lib/trpc";
import { useOrg } from "../../app-shell";

type Kind = "email_domain" | "group";
type SsoRole = "admin" | "member" | "viewer";
interface Mapping {
  kind: Kind;
  value: string;
  role: SsoRole;
}

const KIND_LABEL: Record<Kind, string> = { email_domain: "Email domain", group: "Group" };

export default function SsoSettingsPage() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const { org, isAdmin } = useOrg();
  const saved = useQuery({ ...trpc.org.ssoMappings.queryOptions(), enabled: isAdmin });
  const [rows, setRows] = useState<Mapping[] | null>(null);
  const [isSaved, setIsSaved] = useState(false);
  useEffect(() => {
    if (saved.data && rows === null) setRows(saved.data);
  }, [saved.data, rows]);
  const save = useMutation(
    trpc.org.setSsoMappings.mutationOptions({
      onSuccess: async () => {
        setIsSaved(true);
        await queryClient.invalidateQueries(trpc.org.ssoMappings.pathFilter());
      },
    }),
  );
  const edit = (i: number, patch: Partial<Mapping>) => {
    setIsSaved(false);
    setRows((rs) => (rs ?? []).map((r, j) => (j === i ? { ...r, ...patch } : r)));
  };

  return (
    <>
      <div className="page-head">
        <div>
          <h1>Single sign-on</h1>
          <div className="sub">
            People who sign in through your identity provider join {org.name} with a role when their verified email domain or one
            of their groups matches. Roles set later on the Members page are kept.
          </div>
        </div>
      </div>
      <div className="card">
        {!isAdmin ? (
          <Empty title="Admins only">Ask an owner or admin of {org.name}.</Empty>
        ) : saved.isPending || rows === null ? (
          saved.error ? (
            <div className="card-body">
              <ErrorNote error={saved.error} />
            </div>
          ) : (
            <SkeletonRows rows={2} />
          )
        ) : (
          <form
            className="card-body"
            onSubmit={(e) => {
              e.preventDefault();
              save.mutate({ mappings: rows.map((r) => ({ ...r, value: r.value.trim() })) });
            }}
          >
            {rows.length === 0 ? <p className="muted">No mappings: single sign-on adds nobody to this team.</p> : null}
            {rows.map((r, i) => (
              <div className="row" key={i} style={{ alignItems: "flex-end", marginBottom: 8 }} data-testid="sso-row">
                <div className="field" style={{ margin: 0, width: 160 }}>
                  <label htmlFor={`sso-kind-${i}`}>Match</label>
                  <select id={`sso-kind-${i}`} value={r.kind} onChange={(e) => edit(i, { kind: e.target.value as Kind })}>
                    {(Object.keys(KIND_LABEL) as Kind[]).map((k) => (
                      <option key={k} value={k}>
                        {KIND_LABEL[k]}
                      </option>
                    ))}
                  </select>
                </div>
                <div className="field" style={{ margin: 0, flex: 1, minWidth: 200 }}>
                  <label htmlFor={`sso-value-${i}`}>{r.kind === "group" ? "Group name" : "Domain (example.com)"}</label>
                  <input id={`sso-value-${i}`} value={r.value} onChange={(e) => edit(i, { value: e.target.value })} required />
                </div>
                <div className="field" style={{ margin: 0, width: 130 }}>
                  <label htmlFor={`sso-role-${i}`}>Role</label>
                  <select id={`sso-role-${i}`} value={r.role} onChange={(e) => edit(i, { role: e.target.value as SsoRole })}>
                    <option value="admin">admin</option>
                    <option value="member">member</option>
                    <option value="viewer">viewer</option>
                  </select>
                </div>
                <button type="button" onClick={() => (setIsSaved(false), setRows(rows.filter((_, j) => j !== i)))}>
                  Remove
                </button>
              </div>
            ))}
            <div className="row" style={{ marginTop: 12 }}>
              <button
                type="button"
                onClick={() => (setIsSaved(false), setRows([...rows, { kind: "email_domain", value: "", role: "member" }]))}
                data-testid="sso-add"
              >
                Add mapping
              </button>
              <button type="submit" className="btn-primary" disabled={save.isPending} data-testid="sso-save">
                {save.isPending ? "Saving…" : "Save"}
              </button>
              {isSaved ? (
                <span className="muted" role="status" data-testid="sso-saved">
                  Saved.
                </span>
              ) : null}
            </div>
            <div style={{ marginTop: 8 }}>
              <ErrorNote error={save.error} />
            </div>
          </form>
        )}
      </div>
    </>
  );
}
