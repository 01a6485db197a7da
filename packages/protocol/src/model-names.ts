/**
 * Model and alias names and `models:/` references: one rule for the study spec's `register`,
 * the api, the CLI and the SDK. Names are one segment of a reference, so they hold no `/` or `@`.
 */
import { z } from "zod";

/** Model names and aliases: 1–64 characters, a letter or digit first, then letters, digits, `.`, `_`, `-` (no `/`, no `@`). */
const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const NAME_RULE = 'letters, digits, ".", "_" and "-", starting with a letter or digit (no "/" or "@")';

export const zModelName = z
  .string()
  .trim()
  .min(1, "is required")
  .max(64, "must be at most 64 characters")
  .regex(NAME_RE, `must be ${NAME_RULE}`);
export const zAliasName = zModelName;
export const zVersionNumber = z
  .number()
  .int()
  .min(1)
  .max(2 ** 31 - 1);

/** A version of a model: by number, by alias, or the latest live one. */
export type TModelRef = { name: string } & ({ version: number } | { alias: string } | { latest: true });

export const URI_SCHEME = "models:/";
const REF_SHAPES = "models:/<name>@<alias>, models:/<name>/<version>, <name>@<alias>, <name>/<version> or <name>";

/**
 * Parses a model reference: `models:/<name>@<alias>`, `models:/<name>/<version>`, the same
 * without the scheme, or a bare name (its latest live version; `/latest` says it explicitly).
 * Names and aliases cannot hold `@` or `/`, so the split is unambiguous. Returns the problem
 * as text when the reference is malformed.
 */
export function parseModelRef(text: string): TModelRef | string {
  const body = text.startsWith(URI_SCHEME) ? text.slice(URI_SCHEME.length) : text;
  const at = body.indexOf("@");
  const slash = body.indexOf("/");
  const name = body.slice(0, at >= 0 ? at : slash >= 0 ? slash : body.length);
  if (!zModelName.safeParse(name).success || name !== name.trim())
    return `must be ${REF_SHAPES}; the model name must be ${NAME_RULE}`;
  if (at >= 0) {
    const alias = body.slice(at + 1);
    if (!zAliasName.safeParse(alias).success) return `must be ${REF_SHAPES}; the alias must be ${NAME_RULE}`;
    return { name, alias };
  }
  if (slash >= 0) {
    const v = body.slice(slash + 1);
    if (v === "latest") return { name, latest: true };
    if (!/^[1-9][0-9]{0,9}$/.test(v) || Number(v) > 2 ** 31 - 1)
      return `must be ${REF_SHAPES}; the version must be a number from 1`;
    return { name, version: Number(v) };
  }
  return { name, latest: true };
}

export const zModelRef = z
  .string()
  .trim()
  .min(1, "is required")
  .max(200, "must be at most 200 characters")
  .transform((s, ctx) => {
    const ref = parseModelRef(s);
    if (typeof ref === "string") {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: ref });
      return z.NEVER;
    }
    return ref;
  });

/** `models:/<name>/<version>`: the URI that names one version forever. */
export function versionUri(name: string, version: number): string {
  return `${URI_SCHEME}${name}/${version}`;
}
