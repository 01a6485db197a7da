import { z } from "zod";

const ZBool = z
  .enum(["1", "0", "true", "false", "yes", "no", "on", "off"])
  .transform((v) => v === "1" || v === "true" || v === "yes" || v === "on");

/**
 * The dashboard's own settings (STYLE 7): sign-in methods. apps/server owns the rest; these
 * live here because only next-auth, in this app, uses them. Read at request time, so one
 * built image serves any identity provider.
 */
const ZWebEnv = z
  .object({
    /** The OpenID provider's issuer URL, exactly as its ID tokens' `iss` spells it. */
    AUTH_OIDC_ISSUER: z.string().url().optional(),
    AUTH_OIDC_CLIENT_ID: z.string().min(1).optional(),
    /** Never logged. */
    AUTH_OIDC_CLIENT_SECRET: z.string().min(1).optional(),
    /** The sign-in button's label. */
    AUTH_OIDC_NAME: z.string().min(1).max(60).default("Single sign-on"),
    AUTH_OIDC_SCOPES: z.string().min(1).default("openid email profile"),
    /** The ID-token claim holding the user's groups, which teams may map to a role. */
    AUTH_OIDC_GROUPS_CLAIM: z.string().min(1).default("groups"),
    /** Email and password sign-in (the embedded default); `false` leaves single sign-on only. */
    AUTH_PASSWORD_SIGNIN: ZBool.default("true"),
  })
  .superRefine((env, ctx) => {
    const oidc = [env.AUTH_OIDC_ISSUER, env.AUTH_OIDC_CLIENT_ID, env.AUTH_OIDC_CLIENT_SECRET];
    if (oidc.some(Boolean) && !oidc.every(Boolean)) {
      ctx.addIssue({
        code: "custom",
        path: ["AUTH_OIDC_ISSUER"],
        message: "set AUTH_OIDC_ISSUER, _CLIENT_ID and _CLIENT_SECRET together",
      });
    }
    if (!env.AUTH_PASSWORD_SIGNIN && !env.AUTH_OIDC_ISSUER) {
      ctx.addIssue({
        code: "custom",
        path: ["AUTH_PASSWORD_SIGNIN"],
        message: "cannot be off without single sign-on (AUTH_OIDC_*)",
      });
    }
  });

export interface TOidcSettings {
  issuer: string;
  clientId: string;
  clientSecret: string;
  name: string;
  scopes: string;
  groupsClaim: string;
}

export interface TSignInSettings {
  oidc: TOidcSettings | null;
  isPasswordEnabled: boolean;
}

let cached: TSignInSettings | undefined;

export function getSignInSettings(): TSignInSettings {
  if (cached) return cached;
  const raw = Object.fromEntries(
    Object.keys(ZWebEnv._def.schema.shape).flatMap((k) => (process.env[k] ? [[k, process.env[k]]] : [])),
  );
  const parsed = ZWebEnv.safeParse(raw);
  if (!parsed.success) {
    // Names the variable, never echoes its value (it may be the client secret).
    const lines = parsed.error.issues.map((i) => `  ${i.path.join(".")}: ${i.message}`);
    throw new Error(`Invalid sign-in configuration:\n${lines.join("\n")}`);
  }
  const env = parsed.data;
  cached = {
    isPasswordEnabled: env.AUTH_PASSWORD_SIGNIN,
    oidc:
      env.AUTH_OIDC_ISSUER && env.AUTH_OIDC_CLIENT_ID && env.AUTH_OIDC_CLIENT_SECRET
        ? {
            issuer: env.AUTH_OIDC_ISSUER,
            clientId: env.AUTH_OIDC_CLIENT_ID,
            clientSecret: env.AUTH_OIDC_CLIENT_SECRET,
            name: env.AUTH_OIDC_NAME,
            scopes: env.AUTH_OIDC_SCOPES,
            groupsClaim: env.AUTH_OIDC_GROUPS_CLAIM,
          }
        : null,
  };
  return cached;
}
