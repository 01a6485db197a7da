import { parseSpecYaml, parseStudySpec, type TSpecIssue } from "@autoglm/protocol";

export type SpecCheck = { ok: true; spec: unknown } | { ok: false; issues: TSpecIssue[] };

/** Parses YAML with the server's bounds (size, aliases), then validates with the same zod schema the API uses. */
export function checkYaml(text: string): SpecCheck {
  const doc = parseSpecYaml(text);
  if (!doc.ok) return { ok: false, issues: [{ path: doc.line ? `line ${doc.line}` : "(yaml)", message: doc.message }] };
  if (doc.value === null || typeof doc.value !== "object" || Array.isArray(doc.value)) {
    return { ok: false, issues: [{ path: "(spec)", message: "must be a mapping with name, objective and space" }] };
  }
  return checkSpec(doc.value);
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
  const doc = parseSpecYaml(text);
  return doc.ok && doc.value && typeof doc.value === "object" && !Array.isArray(doc.value)
    ? { ok: true, spec: doc.value }
    : { ok: false };
}
