import { ArtifactStoreError, quoted } from "./errors.js";

/**
 * Object keys. Every key is built from ids the server chose (team / project / study / trial /
 * attempt) plus one relative file name, validated here, so no user string reaches a path or a
 * bucket key unchecked (docs/security.md). The stores check every key again (`checkKey`).
 */

/** The server-chosen ids an artifact belongs to. */
export interface TArtifactOwner {
  teamId: string;
  projectId: string;
  studyId: string;
  trialId: string;
  attempt: number;
}

/**
 * 512 bytes of name: S3 allows 1,024 bytes per key and the ids' part takes about 210
 * (`teams/<uuid>/projects/<uuid>/studies/<uuid>/trials/<uuid>/attempts/<n>/`), leaving room
 * for a store prefix. 255 bytes per segment is NAME_MAX on ext4, xfs and APFS.
 */
export const MAX_NAME_BYTES = 512;
export const MAX_SEGMENT_BYTES = 255;
/** How many rounds of percent-decoding are checked: `%252e` is `%2e` once decoded, `.` twice. */
const DECODE_ROUNDS = 3;
/** Temporary files of the local store start with this: no key may, so none can be mistaken for one. */
export const RESERVED_PREFIX = ".autoglm-upload-";

const ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
// eslint-disable-next-line no-control-regex -- control characters are exactly what it finds
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/** The problem with one form (raw or decoded) of a relative name, or null. */
function problemOf(name: string, form: string): string | null {
  const control = CONTROL.exec(name);
  if (control)
    return `contains the control character U+${control[0].codePointAt(0)!.toString(16).padStart(4, "0").toUpperCase()}${form}`;
  if (name.includes("\\")) return `contains a backslash${form} (use "/" between directories)`;
  if (name.startsWith("/") || /^[A-Za-z]:/.test(name)) return `is an absolute path${form}`;
  const segments = name.split("/");
  if (segments.some((s) => s === "..")) return `contains a ".." segment${form}`;
  if (segments.some((s) => s === ".")) return `contains a "." segment${form}`;
  return null;
}

/** Names as a server or a browser might decode them: each successful round of percent-decoding. */
function decodedForms(name: string): string[] {
  const forms: string[] = [];
  let current = name;
  for (let i = 0; i < DECODE_ROUNDS && current.includes("%"); i++) {
    let next: string;
    try {
      next = decodeURIComponent(current);
    } catch {
      break; // not valid percent-encoding ("100%.txt"): nothing more to decode
    }
    if (next === current) break;
    forms.push(next);
    current = next;
  }
  return forms;
}

/**
 * A relative file name, checked: not empty, relative, "/" between segments, no empty, "." or
 * ".." segment, no backslash, no control character, none of that after percent-decoding
 * either, at most MAX_NAME_BYTES (MAX_SEGMENT_BYTES per segment). Returns it unchanged.
 * `what` names the value in the error ("artifact name", "key").
 */
export function checkRelativeName(
  name: string,
  what = "artifact name",
  code: "INVALID_NAME" | "INVALID_KEY" = "INVALID_NAME",
): string {
  const fail = (problem: string): never => {
    throw new ArtifactStoreError(code, `${what} ${quoted(name)} ${problem}`);
  };
  if (typeof name !== "string" || name.length === 0) throw new ArtifactStoreError(code, `${what} is empty`);
  const bytes = Buffer.byteLength(name, "utf8");
  if (bytes > MAX_NAME_BYTES) fail(`is ${bytes} bytes long (at most ${MAX_NAME_BYTES})`);
  const raw = problemOf(name, "");
  if (raw) fail(raw);
  for (const decoded of decodedForms(name)) {
    const problem = problemOf(decoded, ` once percent-decoded (${quoted(decoded)})`);
    if (problem) fail(problem);
  }
  const segments = name.split("/");
  if (segments.some((s) => s === "")) fail(`has an empty segment (a leading, trailing or doubled "/")`);
  const long = segments.find((s) => Buffer.byteLength(s, "utf8") > MAX_SEGMENT_BYTES);
  if (long !== undefined) fail(`has a segment of ${Buffer.byteLength(long, "utf8")} bytes (at most ${MAX_SEGMENT_BYTES})`);
  if (segments.some((s) => s.startsWith(RESERVED_PREFIX)))
    fail(`has a segment starting with ${quoted(RESERVED_PREFIX)}, reserved for uploads in progress`);
  return name;
}

/** A store key: the same rules as a relative name (the stores call this on every key they are given). */
export function checkKey(key: string): string {
  return checkRelativeName(key, "key", "INVALID_KEY");
}

function checkOwner(owner: TArtifactOwner): void {
  for (const field of ["teamId", "projectId", "studyId", "trialId"] as const) {
    const id = owner[field];
    if (typeof id !== "string" || !ID.test(id)) {
      throw new ArtifactStoreError(
        "INVALID_KEY",
        `${field} ${quoted(String(id))} is not an id (letters, digits, "_" and "-", at most 64)`,
      );
    }
  }
  if (!Number.isSafeInteger(owner.attempt) || owner.attempt < 0) {
    throw new ArtifactStoreError("INVALID_KEY", `attempt ${quoted(String(owner.attempt))} is not a non-negative integer`);
  }
}

/** The key of one file of one trial attempt's outputs. */
export function artifactKey(owner: TArtifactOwner, relativeName: string): string {
  checkOwner(owner);
  checkRelativeName(relativeName);
  return `${artifactPrefix(owner)}${relativeName}`;
}

/** The prefix under which all files of one trial attempt live (ends with "/"): for list and delete. */
export function artifactPrefix(owner: TArtifactOwner): string {
  checkOwner(owner);
  const { teamId, projectId, studyId, trialId, attempt } = owner;
  return `teams/${teamId}/projects/${projectId}/studies/${studyId}/trials/${trialId}/attempts/${attempt}/`;
}
