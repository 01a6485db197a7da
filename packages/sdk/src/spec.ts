import { parseSpecYaml, parseStudySpec, type TStudySpec } from "@autoglm/protocol";
import { AutoglmError } from "./errors.js";

/**
 * Parses study YAML and validates it with the same zod schema the server uses, so a bad
 * spec fails here with the field named (`space.lr.low: must be > 0 when log is true`)
 * before anything is sent.
 */
export function parseStudyYaml(text: string, source = "study spec"): TStudySpec {
  // YAML 1.2 core schema: `1.0e-5` is a number, `no` stays a string (YAML 1.1 would
  // turn it into false and a categorical choice "no" would silently change type). The
  // parser bounds size, aliases and their expansion as the server does.
  const doc = parseSpecYaml(text);
  if (!doc.ok) {
    const where = doc.line ? `${source}:${doc.line}:${doc.col}` : source;
    throw new AutoglmError("INVALID_YAML", `${where}: invalid YAML: ${doc.message}`);
  }
  const value = doc.value;
  if (value === null || value === undefined) throw new AutoglmError("INVALID_SPEC", `${source} is empty`);
  return validateStudySpec(value, source);
}

/** Validates a spec object; throws `AutoglmError("INVALID_SPEC")` with one sentence per field. */
export function validateStudySpec(value: unknown, source = "study spec"): TStudySpec {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new AutoglmError("INVALID_SPEC", `${source} must be a mapping (name:, objective:, space:, …)`);
  }
  const result = parseStudySpec(value);
  if (!result.ok) throw new AutoglmError("INVALID_SPEC", result.message, { issues: result.issues });
  return result.spec;
}
