import type { TStudySpec } from "@autoglm/protocol";

/**
 * What a secret reads as wherever the API shows it. `run.env` values are write-only: the
 * study row keeps them for the agents' leases (the only reader), and every API answer, for
 * every role, shows the names with this mask.
 */
export const SECRET_MASK = "••••••";

/** The spec as the API shows it: `run.env` names kept, values masked. */
export function maskSpecSecrets(spec: TStudySpec): TStudySpec {
  const env = spec.run?.env;
  if (!spec.run || !env) return spec;
  return { ...spec, run: { ...spec.run, env: Object.fromEntries(Object.keys(env).map((name) => [name, SECRET_MASK])) } };
}
