"use client";
// next-auth's REST endpoints called directly (no next-auth/react in the bundle), so a 429
// from the server's sign-in rate limit (S6) reaches the form as a sentence.
import { sameOriginPath } from "./safe-redirect";
import { signInErrorMessage } from "./sign-in-messages";

export const WRONG_PASSWORD = "Wrong email or password.";

export type SignInResult = { ok: true } | { ok: false; message: string };

async function csrfToken(): Promise<string> {
  const res = await fetch("/api/auth/csrf", { credentials: "same-origin", cache: "no-store" });
  const data = (await res.json()) as { csrfToken?: string };
  if (!data.csrfToken) throw new Error("Could not start sign-in. Reload the page and try again.");
  return data.csrfToken;
}

export async function signInWithPassword(email: string, password: string): Promise<SignInResult> {
  try {
    const body = new URLSearchParams({ email, password, csrfToken: await csrfToken(), json: "true", callbackUrl: "/" });
    const res = await fetch("/api/auth/callback/credentials", {
      method: "POST",
      credentials: "same-origin",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body,
    });
    if (res.status === 429) {
      const data = (await res.json().catch(() => ({}))) as { message?: string };
      return { ok: false, message: data.message ?? "Too many sign-in attempts. Wait a few minutes and try again." };
    }
    const data = (await res.json().catch(() => ({}))) as { url?: string };
    const error = data.url ? new URL(data.url, window.location.origin).searchParams.get("error") : "unknown";
    if (!res.ok || error) {
      if (error === "CredentialsSignin") return { ok: false, message: WRONG_PASSWORD };
      return { ok: false, message: signInErrorMessage(error) ?? "Sign-in failed. Try again." };
    }
    return { ok: true };
  } catch (err) {
    return { ok: false, message: err instanceof Error && err.message.length < 200 ? err.message : "Sign-in failed. Try again." };
  }
}

/** Starts the OIDC redirect: next-auth answers the provider's authorization URL (state, PKCE and nonce cookies set). */
export async function startSingleSignOn(callbackUrl: string): Promise<SignInResult> {
  try {
    const body = new URLSearchParams({ csrfToken: await csrfToken(), json: "true", callbackUrl });
    const res = await fetch("/api/auth/signin/oidc", {
      method: "POST",
      credentials: "same-origin",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body,
    });
    const data = (await res.json().catch(() => ({}))) as { url?: string };
    const target = data.url ? new URL(data.url, window.location.origin) : null;
    const error = target?.searchParams.get("error") ?? null;
    if (!res.ok || !target || error) return { ok: false, message: signInErrorMessage(error ?? "OAuthSignin") ?? "" };
    window.location.assign(target.href);
    return { ok: true };
  } catch {
    return { ok: false, message: signInErrorMessage("OAuthSignin") ?? "" };
  }
}

export async function signOut(): Promise<void> {
  try {
    const body = new URLSearchParams({ csrfToken: await csrfToken(), json: "true", callbackUrl: "/signin" });
    await fetch("/api/auth/signout", {
      method: "POST",
      credentials: "same-origin",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body,
    });
  } finally {
    window.localStorage.removeItem("autoglm.org");
    window.location.assign("/signin");
  }
}

/** Only paths on this origin, as the browser will read them (see safe-redirect.ts). */
export function safeCallback(raw: string | null | undefined, fallback = "/projects"): string {
  // Rendered on the server too, where there is no window: any origin works for telling a
  // path on it from a URL elsewhere.
  const origin = typeof window === "undefined" ? "http://server.invalid" : window.location.origin;
  return sameOriginPath(raw, origin, fallback);
}
