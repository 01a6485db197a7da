/**
 * The one check for where a browser may be sent after sign-in (the sign-in and sign-up forms,
 * the app layout's sign-in redirect, next-auth's redirect callback): a path on our own origin.
 *
 * A prefix check ("starts with / but not // or /\") is not enough: browsers strip tabs and
 * newlines from URLs and read "\" as "/", so "/\t/evil.test" becomes "//evil.test", another
 * site. The value is therefore parsed as the browser will (`new URL(value, origin)`), the
 * origins are compared, and the normalised path is returned.
 */
export function sameOriginPath(raw: string | null | undefined, origin: string, fallback = "/projects"): string {
  if (typeof raw !== "string" || raw === "") return fallback;
  let base: URL;
  let url: URL;
  try {
    base = new URL(origin);
    url = new URL(raw, base);
  } catch {
    return fallback;
  }
  if (url.origin !== base.origin) return fallback;
  // "/.//evil.test" normalises to the path "//evil.test", which read on its own is another
  // host again: one leading slash only.
  const path = `/${url.pathname.replace(/^\/+/, "")}${url.search}${url.hash}`;
  return new URL(path, base).origin === base.origin ? path : fallback;
}
