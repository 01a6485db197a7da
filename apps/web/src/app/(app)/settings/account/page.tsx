"use client";
import { useMutation, useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { ConfirmButton, ErrorNote } from "@/components/ui";
import { signInWithPassword } from "@/lib/auth-client";
import { useTRPC } from "@/lib/trpc";

export default function AccountPage() {
  const trpc = useTRPC();
  const me = useQuery(trpc.auth.me.queryOptions());
  const [current, setCurrent] = useState("");
  const [next, setNext] = useState("");
  const [done, setDone] = useState<string | null>(null);
  const [deactivatePassword, setDeactivatePassword] = useState("");
  const change = useMutation(
    trpc.auth.changePassword.mutationOptions({
      onSuccess: async () => {
        // Every session ended with the password change, this one included: sign in again.
        const email = me.data?.user.email ?? "";
        const again = await signInWithPassword(email, next);
        setCurrent("");
        setNext("");
        setDone(
          again.ok
            ? "Password changed. Every other session was signed out."
            : "Password changed. Sign in again with the new password.",
        );
        if (!again.ok) window.location.assign("/signin");
      },
    }),
  );
  const everywhere = useMutation(
    trpc.auth.signOutEverywhere.mutationOptions({ onSuccess: () => window.location.assign("/signin") }),
  );
  const deactivate = useMutation(trpc.auth.deactivate.mutationOptions({ onSuccess: () => window.location.assign("/signin") }));

  return (
    <>
      <div className="page-head">
        <div>
          <h1>Account</h1>
          <div className="sub">{me.data ? `${me.data.user.name} · ${me.data.user.email}` : " "}</div>
        </div>
      </div>
      <div className="grid-2">
        <div className="card">
          <div className="card-head">
            <h2>Change password</h2>
          </div>
          <form
            className="card-body"
            onSubmit={(e) => {
              e.preventDefault();
              setDone(null);
              change.mutate({ currentPassword: current, newPassword: next });
            }}
          >
            <div className="field">
              <label htmlFor="current-password">Current password</label>
              <input
                id="current-password"
                type="password"
                autoComplete="current-password"
                required
                value={current}
                onChange={(e) => setCurrent(e.target.value)}
              />
            </div>
            <div className="field">
              <label htmlFor="new-password">New password</label>
              <input
                id="new-password"
                type="password"
                autoComplete="new-password"
                required
                minLength={10}
                value={next}
                onChange={(e) => setNext(e.target.value)}
              />
              <div className="help">At least 10 characters. Other sessions are signed out.</div>
            </div>
            <ErrorNote error={change.error} />
            {done ? <div className="notice notice-ok field">{done}</div> : null}
            <button type="submit" className="btn-primary" disabled={change.isPending} style={{ marginTop: 8 }}>
              {change.isPending ? "Changing…" : "Change password"}
            </button>
          </form>
        </div>
        <div className="stack">
          <div className="card card-body">
            <h2 style={{ marginBottom: 6 }}>Sign out everywhere</h2>
            <p className="muted" style={{ marginTop: 0 }}>
              Ends every browser session of yours, including this one. API tokens keep working; revoke them on the tokens page.
            </p>
            <ErrorNote error={everywhere.error} />
            <ConfirmButton
              label="Sign out everywhere"
              confirmLabel="Sign out all"
              question="End all sessions?"
              onConfirm={() => everywhere.mutate()}
              pending={everywhere.isPending}
              testId="sign-out-everywhere"
            />
          </div>
          <div className="card card-body">
            <h2 style={{ marginBottom: 6 }}>Deactivate account</h2>
            <p className="muted" style={{ marginTop: 0 }}>
              Your sessions and API tokens stop working at once. Team data stays with the team.
            </p>
            <div className="field">
              <label htmlFor="deactivate-password">Password</label>
              <input
                id="deactivate-password"
                type="password"
                value={deactivatePassword}
                onChange={(e) => setDeactivatePassword(e.target.value)}
              />
            </div>
            <ErrorNote error={deactivate.error} />
            <ConfirmButton
              label="Deactivate"
              confirmLabel="Deactivate my account"
              question="This cannot be undone here."
              onConfirm={() => deactivate.mutate({ password: deactivatePassword })}
              pending={deactivate.isPending || !deactivatePassword}
            />
          </div>
        </div>
      </div>
    </>
  );
}
