"use client";
import Link from "next/link";
import { useSearchParams } from "next/navigation";
import { useState } from "react";
import { safeCallback, signInWithPassword, startSingleSignOn } from "@/lib/auth-client";
import { signInErrorMessage } from "@/lib/sign-in-messages";

export function SignInForm({ isPasswordEnabled, ssoName }: { isPasswordEnabled: boolean; ssoName: string | null }) {
  const params = useSearchParams();
  const callbackUrl = safeCallback(params.get("callbackUrl"));
  const initialError = signInErrorMessage(params.get("error"));
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<string | null>(initialError);
  const [pending, setPending] = useState(false);

  return (
    <div className="card card-body">
      <h1>Sign in</h1>
      <p className="sub">Welcome back. Sign in to your team&apos;s studies.</p>
      {ssoName ? (
        <button
          type="button"
          className={isPasswordEnabled ? "w-full" : "btn-primary w-full"}
          disabled={pending}
          data-testid="signin-sso"
          onClick={async () => {
            setPending(true);
            setError(null);
            const result = await startSingleSignOn(callbackUrl);
            if (!result.ok) {
              setPending(false);
              setError(result.message);
            }
          }}
        >
          Sign in with {ssoName}
        </button>
      ) : null}
      {ssoName && isPasswordEnabled ? (
        <p className="muted" style={{ textAlign: "center" }}>
          or
        </p>
      ) : null}
      {!isPasswordEnabled && error ? (
        <div className="notice notice-error field" role="alert" data-testid="signin-error">
          {error}
        </div>
      ) : null}
      {isPasswordEnabled ? (
        <form
          onSubmit={async (e) => {
            e.preventDefault();
            setPending(true);
            setError(null);
            const result = await signInWithPassword(email.trim(), password);
            if (result.ok) {
              // A full navigation so the server layout sees the new session cookie.
              window.location.assign(callbackUrl);
              return;
            }
            setPending(false);
            setError(result.message);
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
              value={email}
              onChange={(e) => setEmail(e.target.value)}
              autoFocus
            />
          </div>
          <div className="field">
            <label htmlFor="password">Password</label>
            <input
              id="password"
              name="password"
              type="password"
              autoComplete="current-password"
              required
              value={password}
              onChange={(e) => setPassword(e.target.value)}
            />
          </div>
          {error ? (
            <div className="notice notice-error field" role="alert" data-testid="signin-error">
              {error}
            </div>
          ) : null}
          <button type="submit" className="btn-primary w-full" disabled={pending} data-testid="signin-submit">
            {pending ? "Signing in…" : "Sign in"}
          </button>
        </form>
      ) : null}
      {isPasswordEnabled ? (
        <div className="foot">
          New here?{" "}
          <Link href={`/signup${callbackUrl !== "/projects" ? `?callbackUrl=${encodeURIComponent(callbackUrl)}` : ""}`}>
            Create an account
          </Link>
        </div>
      ) : null}
    </div>
  );
}
