"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { ConfirmButton, Empty, ErrorNote, SecretReveal, SkeletonRows } from "@/components/ui";
import { formatDate } from "@/lib/format";
import { useTRPC } from "@/lib/trpc";
import { useOrg, type Role } from "../../app-shell";

const ROLES: Role[] = ["owner", "admin", "member", "viewer"];
const ROLE_HELP: Record<Role, string> = {
  owner: "everything, including deleting the team",
  admin: "invite people, change roles, revoke any token",
  member: "create projects, studies and their own tokens",
  viewer: "read only",
};

export default function MembersPage() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const { org, isAdmin } = useOrg();
  const members = useQuery(trpc.org.members.queryOptions());
  const invitations = useQuery({ ...trpc.org.invitations.queryOptions(), enabled: isAdmin });
  const refresh = () => queryClient.invalidateQueries(trpc.org.pathFilter());
  const update = useMutation(trpc.org.updateMember.mutationOptions({ onSuccess: refresh }));
  const remove = useMutation(trpc.org.removeMember.mutationOptions({ onSuccess: refresh }));
  const revokeInvite = useMutation(trpc.org.revokeInvite.mutationOptions({ onSuccess: refresh }));
  const [inviteRole, setInviteRole] = useState<Role>("member");
  const [inviteEmail, setInviteEmail] = useState("");
  const [link, setLink] = useState<string | null>(null);
  const invite = useMutation(
    trpc.org.invite.mutationOptions({
      onSuccess: async (res) => {
        setLink(new URL(res.url, window.location.origin).toString());
        setInviteEmail("");
        await refresh();
      },
    }),
  );

  return (
    <>
      <div className="page-head">
        <div>
          <h1>Members</h1>
          <div className="sub">People in {org.name} and what they can do.</div>
        </div>
      </div>

      {isAdmin ? (
        <div className="card" style={{ marginBottom: 16 }}>
          <div className="card-head">
            <h2>Invite someone</h2>
          </div>
          <div className="card-body">
            {link ? (
              <div style={{ marginBottom: 12 }}>
                <SecretReveal
                  title="Invitation link"
                  warning="Send this link yourself (there is no mail server). It is shown only once and works until it expires or is used."
                  value={link}
                  onDone={() => setLink(null)}
                  testId="invite-reveal"
                />
              </div>
            ) : null}
            <form
              className="row"
              style={{ alignItems: "flex-end" }}
              onSubmit={(e) => {
                e.preventDefault();
                invite.mutate({ role: inviteRole, ...(inviteEmail.trim() ? { email: inviteEmail.trim() } : {}) });
              }}
            >
              <div className="field" style={{ margin: 0, width: 200 }}>
                <label htmlFor="invite-role">Role</label>
                <select
                  id="invite-role"
                  value={inviteRole}
                  onChange={(e) => setInviteRole(e.target.value as Role)}
                  data-testid="invite-role"
                >
                  {ROLES.filter((r) => r !== "owner" || org.role === "owner").map((r) => (
                    <option key={r} value={r}>
                      {r}
                    </option>
                  ))}
                </select>
              </div>
              <div className="field" style={{ margin: 0, flex: 1, minWidth: 220 }}>
                <label htmlFor="invite-email">Email (optional, for your records)</label>
                <input id="invite-email" type="email" value={inviteEmail} onChange={(e) => setInviteEmail(e.target.value)} />
              </div>
              <button type="submit" className="btn-primary" disabled={invite.isPending} data-testid="create-invite">
                {invite.isPending ? "Creating…" : "Create invite link"}
              </button>
            </form>
            <div className="help muted" style={{ marginTop: 6, fontSize: 12 }}>
              {inviteRole}: {ROLE_HELP[inviteRole]}
            </div>
            <div style={{ marginTop: 8 }}>
              <ErrorNote error={invite.error} />
            </div>
          </div>
        </div>
      ) : null}

      <div className="card" style={{ marginBottom: 16 }}>
        <div className="card-head">
          <h2>Members</h2>
        </div>
        <ErrorNote error={update.error ?? remove.error} />
        {members.isPending ? (
          <SkeletonRows />
        ) : members.error ? (
          <div className="card-body">
            <ErrorNote error={members.error} />
          </div>
        ) : (
          <div className="table-wrap">
            <table data-testid="member-table">
              <thead>
                <tr>
                  <th>Name</th>
                  <th>Email</th>
                  <th>Role</th>
                  <th>Joined</th>
                  <th />
                </tr>
              </thead>
              <tbody>
                {members.data.map((m) => (
                  <tr key={m.userId} data-testid="member-row">
                    <td>{m.name}</td>
                    <td className="muted">{m.email}</td>
                    <td>
                      {isAdmin ? (
                        <select
                          aria-label={`Role of ${m.email}`}
                          value={m.role}
                          onChange={(e) => update.mutate({ userId: m.userId, role: e.target.value as Role })}
                          disabled={update.isPending}
                          style={{ width: 130 }}
                        >
                          {ROLES.map((r) => (
                            <option key={r} value={r}>
                              {r}
                            </option>
                          ))}
                        </select>
                      ) : (
                        <span className="badge badge-role">{m.role}</span>
                      )}
                    </td>
                    <td>{formatDate(m.createdAt)}</td>
                    <td style={{ textAlign: "right" }}>
                      {isAdmin ? (
                        <ConfirmButton
                          label="Remove"
                          confirmLabel="Remove"
                          question={`Remove ${m.email} from ${org.name}?`}
                          onConfirm={() => remove.mutate({ userId: m.userId })}
                          pending={remove.isPending}
                        />
                      ) : null}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </div>

      {isAdmin ? (
        <div className="card">
          <div className="card-head">
            <h2>Invitations</h2>
          </div>
          <ErrorNote error={revokeInvite.error} />
          {invitations.isPending ? (
            <SkeletonRows rows={2} />
          ) : invitations.error ? (
            <div className="card-body">
              <ErrorNote error={invitations.error} />
            </div>
          ) : invitations.data.length === 0 ? (
            <Empty title="No invitations">Invite links you create appear here until they are used or expire.</Empty>
          ) : (
            <div className="table-wrap">
              <table>
                <thead>
                  <tr>
                    <th>Role</th>
                    <th>Email</th>
                    <th>Created</th>
                    <th>Status</th>
                    <th />
                  </tr>
                </thead>
                <tbody>
                  {invitations.data.map((i) => {
                    const expired = new Date(i.expiresAt).getTime() < Date.now();
                    const status = i.acceptedAt
                      ? "accepted"
                      : i.revokedAt
                        ? "revoked"
                        : expired
                          ? "expired"
                          : `open until ${formatDate(i.expiresAt)}`;
                    return (
                      <tr key={i.id}>
                        <td>
                          <span className="badge badge-role">{i.role}</span>
                        </td>
                        <td className="muted">{i.email ?? "—"}</td>
                        <td>{formatDate(i.createdAt)}</td>
                        <td>{status}</td>
                        <td style={{ textAlign: "right" }}>
                          {!i.acceptedAt && !i.revokedAt && !expired ? (
                            <ConfirmButton
                              label="Revoke"
                              confirmLabel="Revoke"
                              question="The link stops working."
                              onConfirm={() => revokeInvite.mutate({ id: i.id })}
                              pending={revokeInvite.isPending}
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
      ) : null}
    </>
  );
}
