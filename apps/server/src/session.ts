import { decode } from "next-auth/jwt";

/**
 * The next-auth session cookie names (v4): a `__Secure-` prefix when the public URL is https.
 * Large JWTs are split into `.0`, `.1`, … chunks, which are joined back here.
 */
export function sessionCookieName(secure: boolean): string {
  return `${secure ? "__Secure-" : ""}next-auth.session-token`;
}

export function parseCookies(header: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  if (!header) return out;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq < 0) continue;
    const name = part.slice(0, eq).trim();
    const raw = part.slice(eq + 1).trim();
    try {
      out.set(name, decodeURIComponent(raw));
    } catch {
      out.set(name, raw);
    }
  }
  return out;
}

export function readSessionCookie(cookieHeader: string | undefined, secure: boolean): string | undefined {
  const cookies = parseCookies(cookieHeader);
  const name = sessionCookieName(secure);
  const whole = cookies.get(name);
  if (whole) return whole;
  const chunks: string[] = [];
  for (let i = 0; cookies.has(`${name}.${i}`); i++) chunks.push(cookies.get(`${name}.${i}`)!);
  return chunks.length ? chunks.join("") : undefined;
}

export interface SessionClaims {
  userId: string;
  sessionVersion: number;
  /** The sign-in's `user_sessions` row; sign-out revokes it (S4). */
  sessionId: string;
}

/** Decodes (and verifies) the next-auth JWT in a cookie header; null when absent or invalid. */
export async function decodeSessionCookie(
  cookieHeader: string | undefined,
  secret: string,
  secure: boolean,
): Promise<SessionClaims | null> {
  const token = readSessionCookie(cookieHeader, secure);
  if (!token) return null;
  try {
    const claims = await decode({ token, secret });
    if (!claims) return null;
    const userId = typeof claims.userId === "string" ? claims.userId : undefined;
    const sessionVersion = typeof claims.sessionVersion === "number" ? claims.sessionVersion : undefined;
    const sessionId = typeof claims.sessionId === "string" ? claims.sessionId : undefined;
    // A cookie without a session id cannot be signed out, so it is not accepted.
    if (!userId || sessionVersion === undefined || !sessionId) return null;
    if (typeof claims.exp === "number" && claims.exp * 1000 < Date.now()) return null;
    return { userId, sessionVersion, sessionId };
  } catch {
    return null;
  }
}
