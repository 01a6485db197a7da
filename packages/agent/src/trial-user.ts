import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";

/** The user a trial's processes run as. */
export interface TrialUser {
  uid: number;
  gid: number;
}

/** `nobody`/`nogroup` on Linux: what an agent running as root drops trials to (S8). */
export const NOBODY: TrialUser = { uid: 65534, gid: 65534 };

interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
}

/**
 * One passwd entry by name or uid: `getent` first (it sees LDAP/SSSD users too), else
 * /etc/passwd, which is all a minimal container has.
 */
export function lookupUser(key: string | number): PasswdEntry | null {
  const want = String(key);
  const parse = (line: string): PasswdEntry | null => {
    const f = line.split(":");
    if (f.length < 4) return null;
    const uid = Number(f[2]);
    const gid = Number(f[3]);
    return Number.isInteger(uid) && Number.isInteger(gid) ? { name: f[0]!, uid, gid } : null;
  };
  const r = spawnSync("getent", ["passwd", want], { encoding: "utf8", timeout: 5_000 });
  if (!r.error && r.status === 0) {
    const e = parse(r.stdout.trim().split("\n")[0] ?? "");
    if (e) return e;
  }
  if (!r.error && r.status === 2) return null; // getent ran: no such user
  try {
    for (const line of readFileSync("/etc/passwd", "utf8").split("\n")) {
      const e = parse(line);
      if (e && (e.name === want || String(e.uid) === want)) return e;
    }
  } catch {
    /* no passwd file */
  }
  return null;
}

const names = new Map<number, string>();

/** "nobody (uid 65534, gid 65534)": how messages name the trial user. */
export function describeUser(user: TrialUser): string {
  if (!names.has(user.uid)) names.set(user.uid, lookupUser(user.uid)?.name ?? "");
  const name = names.get(user.uid);
  return `${name ? `${name} ` : ""}(uid ${user.uid}, gid ${user.gid})`;
}

function ownUid(): number | null {
  return typeof process.getuid === "function" ? process.getuid() : null;
}

/** The agent's own user, or null where the platform has no uids. */
export function agentUser(): TrialUser | null {
  const uid = ownUid();
  return uid === null || typeof process.getgid !== "function" ? null : { uid, gid: process.getgid() };
}

/** Trials never run as root by default: a root agent drops them to nobody, any other user keeps its own. */
export function defaultTrialUser(): TrialUser | null {
  return ownUid() === 0 ? NOBODY : null;
}

export type TRunAs = { kind: "self" } | { kind: "user"; user: TrialUser; label: string };

const ID = /^\d+$/;

/**
 * `--run-as` values: `self` (the agent's own user), a user name (its primary group), `UID`
 * (that uid's primary group when it has a passwd entry, else gid = uid) or `UID:GID`.
 * Throws an Error whose message says what was wrong.
 */
export function parseRunAs(value: string, lookup: typeof lookupUser = lookupUser): TRunAs {
  const v = value.trim();
  if (v === "self") return { kind: "self" };
  if (v === "") throw new Error("--run-as needs a user name, UID[:GID] or self");
  const [u, g, ...rest] = v.split(":");
  if (rest.length > 0) throw new Error(`--run-as must be USER, UID[:GID] or self (got "${value}")`);
  let uid: number;
  let gid: number | undefined;
  let label = v;
  if (ID.test(u!)) {
    uid = Number(u);
    const entry = lookup(uid);
    gid = entry?.gid ?? uid;
    if (entry) label = entry.name;
  } else {
    const entry = lookup(u!);
    if (!entry) throw new Error(`--run-as: no user named "${u}" on this machine`);
    ({ uid, gid } = entry);
    label = entry.name;
  }
  if (g !== undefined) {
    if (!ID.test(g)) throw new Error(`--run-as: the group must be a number (got "${g}")`);
    gid = Number(g);
  }
  if (!(uid <= 0xfffffffe && gid <= 0xfffffffe))
    throw new Error(`--run-as: uid and gid must be below 4294967295 (got "${value}")`);
  return { kind: "user", user: { uid, gid }, label };
}
