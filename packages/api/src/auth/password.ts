import { hash, verify } from "@node-rs/argon2";

/**
 * argon2id with OWASP's first recommended setting (19 MiB, 2 passes, 1 lane): ~20 ms on the
 * CI machine, memory-hard so a GPU farm gains little. Parameters live in the encoded hash,
 * so raising them later re-hashes nobody and breaks nobody.
 */
const OPTIONS = {
  algorithm: 2 /* Algorithm.Argon2id (a const enum) */,
  memoryCost: 19_456,
  timeCost: 2,
  parallelism: 1,
} as const;

export async function hashPassword(password: string): Promise<string> {
  return hash(password, OPTIONS);
}

export async function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  try {
    return await verify(passwordHash, password);
  } catch {
    return false;
  }
}

// A real hash of a random password: verifying against it when the email is unknown makes
// "no such user" cost the same time as "wrong password" (no account enumeration by timing).
let dummyHash: Promise<string> | undefined;
export function dummyPasswordHash(): Promise<string> {
  dummyHash ??= hashPassword(`dummy-${Math.random()}`);
  return dummyHash;
}
