import { parseStudySpec, type TSpecIssue } from "@autoglm/protocol";
import { parse as parseYaml, YAMLParseError } from "yaml";

export type SpecCheck = { ok: true; spec: unknown } | { ok: false; issues: TSpecIssue[] };

/** Parses YAML, then validates with the same zod schema the API uses. */
export function checkYaml(text: string): SpecCheck {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    if (err instanceof YAMLParseError) {
      const line = err.linePos?.[0]?.line;
      return { ok: false, issues: [{ path: line ? `line ${line}` : "(yaml)", message: err.message.split("\n")[0] ?? "invalid YAML" }] };
    }
    return { ok: false, issues: [{ path: "(yaml)", message: "invalid YAML" }] };
  }
  if (doc === null || typeof doc !== "object" || Array.isArray(doc)) {
    return { ok: false, issues: [{ path: "(spec)", message: "must be a mapping with name, objective and space" }] };
  }
  return checkSpec(doc);
}

export function checkSpec(spec: unknown): SpecCheck {
  const r = parseStudySpec(spec);
  return r.ok ? { ok: true, spec } : { ok: false, issues: r.issues };
}

/**
 * Server messages look like `space.lr.low: must be > 0 when log is true; budget.max_trials: …`;
 * split them back into issues so they show beside the field like client-side ones.
 */
export function issuesFromMessage(message: string): TSpecIssue[] {
  const parts = message.split(/;\s+/);
  const out: TSpecIssue[] = [];
  for (const p of parts) {
    const m = /^([A-Za-z_(][\w.()\- ]*?):\s+(.+)$/.exec(p);
    if (m && m[1] && m[2]) out.push({ path: m[1], message: m[2] });
  }
  return out;
}

/** The YAML as an object without validating it (for carrying an invalid spec into the form). */
export function parseYamlLoose(text: string): { ok: true; spec: unknown } | { ok: false } {
  try {
    const doc: unknown = parseYaml(text);
    return doc && typeof doc === "object" && !Array.isArray(doc) ? { ok: true, spec: doc } : { ok: false };
  } catch {
    return { ok: false };
  }
}
