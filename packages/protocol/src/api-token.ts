import { hash, randomInt } from "node:crypto";
import { crc32 } from "node:zlib";

/**
 * API tokens, for the api (Bearer calls) and the agent namespace (the handshake) alike:
 * `agl_` + 32 random base62 characters (190 bits) + a 6-character base62 CRC32 of the random
 * part. The checksum lets the server (and secret scanners) reject a typo without touching the
 * database, as GitHub's tokens do. Only sha256(token) is stored.
 *
 * Node only (node:crypto, node:zlib): imported as `@autoglm/protocol/api-token`, never through
 * the package's main entry, which the browser bundles.
 */
const ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
export const TOKEN_PREFIX = "agl_";
const RANDOM_LEN = 32;
const CHECKSUM_LEN = 6;
export const TOKEN_LENGTH = TOKEN_PREFIX.length + RANDOM_LEN + CHECKSUM_LEN;
const TOKEN_RE = new RegExp(`^${TOKEN_PREFIX}[0-9A-Za-z]{${RANDOM_LEN + CHECKSUM_LEN}}$`);

function base62(n: number, width: number): string {
  let out = "";
  let v = n >>> 0;
  for (let i = 0; i < width; i++) {
    out = ALPHABET[v % 62]! + out;
    v = Math.floor(v / 62);
  }
  return out;
}

function checksumOf(random: string): string {
  return base62(crc32(random), CHECKSUM_LEN);
}

export function generateApiToken(): { token: string; prefix: string; hash: string } {
  let random = "";
  for (let i = 0; i < RANDOM_LEN; i++) random += ALPHABET[randomInt(62)]!;
  const token = `${TOKEN_PREFIX}${random}${checksumOf(random)}`;
  return { token, prefix: tokenDisplayPrefix(token), hash: hashApiToken(token) };
}

/** True when the value is a string with the token shape AND its checksum matches (no I/O). */
export function isWellFormedApiToken(token: unknown): token is string {
  if (typeof token !== "string" || !TOKEN_RE.test(token)) return false;
  const random = token.slice(TOKEN_PREFIX.length, TOKEN_PREFIX.length + RANDOM_LEN);
  return token.slice(TOKEN_PREFIX.length + RANDOM_LEN) === checksumOf(random);
}

/** What the UI may show: `agl_` and the first 4 random characters. */
export function tokenDisplayPrefix(token: string): string {
  return token.slice(0, TOKEN_PREFIX.length + 4);
}

/** The stored form of a token (`api_tokens.token_hash`): lookups hash what was presented. */
export function hashApiToken(token: string): string {
  return sha256Hex(token);
}

/**
 * Hex sha256 of a UTF-8 string (tokens, invitation secrets, rate-limit keys). One-shot: every
 * API call and inference request hashes its key, and on a core that was idle `createHash`
 * took ~64 µs where `hash` takes ~23 (Node 20, this 2-core box).
 */
export function sha256Hex(s: string): string {
  return hash("sha256", s, "hex");
}
