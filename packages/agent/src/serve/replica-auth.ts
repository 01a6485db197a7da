import { createHash, timingSafeEqual } from "node:crypto";

/**
 * Whether an `Authorization` header is `Bearer <secret>`: the gateway's, which no one else holds.
 * Compared as SHA-256 digests, in constant time, so neither the length nor a prefix leaks.
 */
export function bearerCheck(secret: string): (header: string | undefined) => boolean {
  const expected = createHash("sha256").update(`Bearer ${secret}`).digest();
  return (header) => header !== undefined && timingSafeEqual(createHash("sha256").update(header).digest(), expected);
}
