import { createHmac } from "node:crypto";

/**
 * `x-autoglm-signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`, Stripe's
 * scheme: the timestamp is signed with the body, so a receiver that refuses a `t` more than five
 * minutes from its clock cannot be fooled by a replayed delivery. README.md shows how to verify.
 */
export function webhookSignatureHeader(secret: string, body: string, at: Date): string {
  const t = Math.floor(at.getTime() / 1000);
  const v1 = createHmac("sha256", secret).update(`${t}.${body}`).digest("hex");
  return `t=${t},v1=${v1}`;
}
