import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from "node:crypto";

/**
 * Webhook signing secrets at rest: AES-256-GCM under a key derived from the server's
 * AUTH_SECRET with HKDF-SHA256 (its own `info`, so the key is never the session key). A
 * database dump alone does not reveal them; the sender opens them only to sign.
 * Sealed form: `v1.<iv>.<ciphertext>.<tag>`, each base64url (12-byte IV, 16-byte tag).
 */
const KEY_INFO = "autoglm webhook signing secrets v1";

function keyOf(authSecret: string): Buffer {
  return Buffer.from(hkdfSync("sha256", authSecret, "", KEY_INFO, 32));
}

export function sealWebhookSecret(authSecret: string, secret: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", keyOf(authSecret), iv);
  const ciphertext = Buffer.concat([cipher.update(secret, "utf8"), cipher.final()]);
  return ["v1", iv, ciphertext, cipher.getAuthTag()].map((p) => (typeof p === "string" ? p : p.toString("base64url"))).join(".");
}

/** The secret, or an Error when it was sealed under another AUTH_SECRET (or altered). */
export function openWebhookSecret(authSecret: string, sealed: string): string {
  const [version, iv, ciphertext, tag] = sealed.split(".");
  if (version !== "v1" || !iv || !ciphertext || !tag) throw new Error("the webhook secret is not in a known sealed form");
  try {
    const decipher = createDecipheriv("aes-256-gcm", keyOf(authSecret), Buffer.from(iv, "base64url"));
    decipher.setAuthTag(Buffer.from(tag, "base64url"));
    return Buffer.concat([decipher.update(Buffer.from(ciphertext, "base64url")), decipher.final()]).toString("utf8");
  } catch {
    throw new Error("the webhook secret cannot be opened with this server's AUTH_SECRET (was it changed?); recreate the webhook");
  }
}

/** A new signing secret: `whsec_` and 192 random bits. */
export function generateWebhookSecret(): string {
  return `whsec_${randomBytes(24).toString("base64url")}`;
}
