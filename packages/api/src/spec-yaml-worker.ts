import { parseSpecYaml, parseStudySpec, type TStudySpec } from "@autoglm/protocol";

/** What a worker answers: the validated spec, or the sentence the user sees. */
export type TReadSpecOutcome = { ok: true; spec: TStudySpec } | { ok: false; message: string };

/** Piscina's task (spec-yaml-pool.ts): YAML text → validated spec, never throws. */
export default function readSpecYamlTask(text: string): TReadSpecOutcome {
  const doc = parseSpecYaml(text);
  if (!doc.ok) {
    const where = doc.line ? `line ${doc.line}, column ${doc.col}: ` : "";
    return { ok: false, message: `yaml: ${where}${doc.message}` };
  }
  const parsed = parseStudySpec(doc.value);
  return parsed.ok ? { ok: true, spec: parsed.spec } : { ok: false, message: parsed.message };
}
