/** next-auth's `?error=` codes on /signin, as sentences (the codes come from the URL, so only known ones show). */
const MESSAGES: Record<string, string> = {
  RateLimited: "Too many sign-in attempts. Wait a few minutes and try again.",
  SsoAccount: "This account signs in with single sign-on and has no password: use the single sign-on button.",
  OAuthCallback:
    "Single sign-on failed: the identity provider's answer could not be verified. Try again or ask your administrator.",
  SsoWrongIssuer: "Single sign-on failed: the answer came from another identity provider than the one configured.",
  SsoRefused:
    "Single sign-on could not sign you in: the account is deactivated, the provider sent no email, or the email belongs to an account that cannot be linked.",
  OAuthSignin: "Single sign-on could not start: the identity provider did not answer. Try again later.",
};

export function signInErrorMessage(code: string | null): string | null {
  if (!code) return null;
  return MESSAGES[code] ?? "Sign-in failed. Try again.";
}
