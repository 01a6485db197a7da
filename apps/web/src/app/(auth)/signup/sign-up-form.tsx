"use client";
import { useMutation } from "@tanstack/react-query";
import Link from "next/link";
import { useSearchParams } from "next/navigation";
import { useState } from "react";
import { safeCallback, signInWithPassword, WRONG_PASSWORD } from "@/lib/auth-client";
import { userMessageOf } from "@/lib/errors";
import { setSelectedOrg } from "@/lib/org";
import { useTRPC } from "@/lib/trpc";

export function SignUpForm() {
  const params = useSearchParams();
  const callbackUrl = safeCallback(params.get("callbackUrl"));
  const joiningInvite = callbackUrl.startsWith("/invite/");
  const trpc = useTRPC();
  const signUp = useMutation(trpc.auth.signUp.mutationOptions());
  const [form, setForm] = useState({ email: "", name: "", password: "", teamName: "" });
  const [error, setError] = useState<string | null>(null);
  const [pending, setPending] = useState(false);
  const set = (k: keyof typeof form) => (e: React.ChangeEvent<HTMLInputElement>) => setForm({ ...form, [k]: e.target.value });

  return (
    <div className="card card-body">
      <h1>Create your account</h1>
      <p className="sub">
        {joiningInvite ? "Create an account, then accept the invitation." : "You get your own team; invite teammates later."}
      </p>
      <form
        onSubmit={async (e) => {
          e.preventDefault();
          setError(null);
          if (form.password.length < 10) {
            setError("password: must be at least 10 characters");
            return;
          }
          setPending(true);
          try {
            const teamName = form.teamName.trim() || `${form.name.trim() || "My"}'s team`;
            // Sign-up answers the same whether or not the email already had an account (it does
            // not tell strangers who is registered); signing in with the new password says
            // whether this person now has one.
            await signUp.mutateAsync({ email: form.email.trim(), name: form.name.trim(), password: form.password, teamName });
            const result = await signInWithPassword(form.email.trim(), form.password);
            if (!result.ok) {
              throw new Error(
                result.message === WRONG_PASSWORD
                  ? "We could not sign you in with this password. If you already have an account with this email, sign in with its password instead."
                  : result.message,
              );
            }
            // The dashboard then opens the account's first team: for a new account, its own.
            if (!joiningInvite) setSelectedOrg(null);
            window.location.assign(callbackUrl);
          } catch (err) {
            setPending(false);
            setError(userMessageOf(err));
          }
        }}
      >
        <div className="field">
          <label htmlFor="email">Email</label>
          <input
            id="email"
            name="email"
            type="email"
            autoComplete="email"
            required
            value={form.email}
            onChange={set("email")}
            autoFocus
          />
        </div>
        <div className="field">
          <label htmlFor="name">Your name</label>
          <input id="name" name="name" autoComplete="name" required value={form.name} onChange={set("name")} />
        </div>
        <div className="field">
          <label htmlFor="password">Password</label>
          <input
            id="password"
            name="password"
            type="password"
            autoComplete="new-password"
            required
            minLength={10}
            value={form.password}
            onChange={set("password")}
          />
          <div className="help">At least 10 characters.</div>
        </div>
        <div className="field">
          <label htmlFor="teamName">Team name</label>
          <input id="teamName" name="teamName" placeholder="Acme ML" value={form.teamName} onChange={set("teamName")} />
          <div className="help">Optional. Your studies, projects and tokens live in a team.</div>
        </div>
        {error ? (
          <div className="notice notice-error field" role="alert" data-testid="signup-error">
            {error}
          </div>
        ) : null}
        <button type="submit" className="btn-primary w-full" disabled={pending} data-testid="signup-submit">
          {pending ? "Creating account…" : "Create account"}
        </button>
      </form>
      <div className="foot">
        Already have an account?{" "}
        <Link href={`/signin${callbackUrl !== "/projects" ? `?callbackUrl=${encodeURIComponent(callbackUrl)}` : ""}`}>
          Sign in
        </Link>
      </div>
    </div>
  );
}
