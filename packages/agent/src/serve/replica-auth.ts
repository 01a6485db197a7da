import { hash, timingSafeEqual } from "node:crypto";

/**
 * Whether an `Authorization` header is `Bearer <secret>`: the gateway's, which no one else holds.
 * Compared as SHA-256 digests, in constant time, so neither the length nor a prefix leaks;
 * hashed one-shot, as every request pays it (api-token.ts's sha256Hex says why).
 */
export function bearerCheck(secret: string): (header: string | undefined) => boolean {
  const expected = hash("sha256", `Bearer ${secret}`, "buffer");
  return (header) => header !== undefined && timingSafeEqual(hash("sha256", header, "buffer"), expected);
}
