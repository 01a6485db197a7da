import { createServer, type Server } from "node:http";
import { decodeJwt, exportJWK, generateKeyPair, SignJWT } from "jose";
import Provider from "oidc-provider";

/**
 * A real OpenID provider (`oidc-provider`) on 127.0.0.1 for the single sign-on tests, with one
 * confidential client and its development login form (any login id is an account; the
 * accounts' claims are given). `setMode` makes the token endpoint answer a tampered or
 * foreign ID token, as an attacker between the platform and the provider would.
 */
export type TIdpMode =
  | "honest"
  /** A claim changed after signing: the signature no longer matches. */
  | "tampered"
  /** Signed with the provider's own key, but `iss` names another issuer. */
  | "foreign-issuer"
  /** Discovery and tokens consistently name another issuer than the platform's AUTH_OIDC_ISSUER (no RFC 9207 `iss` parameter). */
  | "moved-issuer";

export interface TIdp {
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** Every ID token the token endpoint answered (the test checks none reached the logs). */
  idTokens: string[];
  setMode(mode: TIdpMode): void;
  close(): Promise<void>;
}

export const MOVED_ISSUER_SUFFIX = "/moved";

export async function startIdp(input: {
  port: number;
  redirectUri: string;
  accounts: Record<string, Record<string, unknown>>;
}): Promise<TIdp> {
  const issuer = `http://127.0.0.1:${input.port}`;
  const clientId = "autoglm-e2e";
  const clientSecret = `e2e-client-secret-${Math.random().toString(36).slice(2)}`;
  const { privateKey } = await generateKeyPair("RS256", { extractable: true });
  const kid = "e2e-key";
  const jwk = { ...(await exportJWK(privateKey)), kid, alg: "RS256", use: "sig" };
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: clientId,
        client_secret: clientSecret,
        redirect_uris: [input.redirectUri],
        grant_types: ["authorization_code"],
        response_types: ["code"],
      },
    ],
    jwks: { keys: [jwk] },
    cookies: { keys: ["e2e-cookie-key-0123456789"] },
    scopes: ["openid", "email", "profile", "groups"],
    claims: { email: ["email", "email_verified"], profile: ["name"], groups: ["groups"] },
    // next-auth reads the user from the ID token, so the scoped claims go in it.
    conformIdTokenClaims: false,
    findAccount: (_ctx, id) => {
      const claims = input.accounts[id];
      return claims ? { accountId: id, claims: () => ({ sub: id, ...claims }) } : undefined;
    },
  });
  const idTokens: string[] = [];
  let mode: TIdpMode = "honest";
  const reissue = (idToken: string, iss: string) =>
    new SignJWT({ ...decodeJwt(idToken), iss }).setProtectedHeader({ alg: "RS256", kid }).sign(privateKey);
  provider.use(async (ctx, next) => {
    await next();
    const body = ctx.body as Record<string, unknown> | undefined;
    if (mode === "moved-issuer" && ctx.path === "/.well-known/openid-configuration" && body) {
      // As a provider without RFC 9207 would: no `iss` beside the code for the client to compare.
      const { authorization_response_iss_parameter_supported: _, ...rest } = body;
      ctx.body = { ...rest, issuer: issuer + MOVED_ISSUER_SUFFIX };
    }
    const location = String(ctx.response.get("location") ?? "");
    if (mode === "moved-issuer" && location.startsWith(input.redirectUri)) {
      const url = new URL(location);
      url.searchParams.delete("iss");
      ctx.redirect(url.href);
    }
    if (ctx.method !== "POST" || ctx.path !== "/token" || typeof body?.id_token !== "string") return;
    let idToken = body.id_token;
    if (mode === "tampered") {
      const [header, payload, signature] = idToken.split(".");
      const claims = JSON.parse(Buffer.from(payload!, "base64url").toString("utf8")) as Record<string, unknown>;
      const forged = Buffer.from(JSON.stringify({ ...claims, email: "mallory@acme.test", sub: "mallory" })).toString("base64url");
      idToken = `${header}.${forged}.${signature}`;
    } else if (mode === "foreign-issuer") {
      idToken = await reissue(idToken, "http://127.0.0.1:9/other-issuer");
    } else if (mode === "moved-issuer") {
      idToken = await reissue(idToken, issuer + MOVED_ISSUER_SUFFIX);
    }
    idTokens.push(idToken);
    ctx.body = { ...body, id_token: idToken };
  });
  const server: Server = createServer(provider.callback());
  await new Promise<void>((resolve) => server.listen(input.port, "127.0.0.1", resolve));
  return {
    issuer,
    clientId,
    clientSecret,
    idTokens,
    setMode: (m) => {
      mode = m;
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
