import { z } from "zod";

/**
 * PostgreSQL text and jsonb cannot hold U+0000 (errors 22021 and 22P05, under pg and PGlite
 * alike), so a stored string carrying one failed deep in a query. Inputs refuse it where
 * they are read, naming the field.
 */
export const NUL_MESSAGE = "must not contain a NUL character (\\u0000)";

// eslint-disable-next-line no-control-regex -- matching NUL is the point
const NO_NUL = /^[^\u0000]*$/;

/** `s` (a z.string() with its limits) refusing NUL; stays a ZodString so limits chain on. */
export function noNul(s: z.ZodString = z.string()): z.ZodString {
  return s.regex(NO_NUL, NUL_MESSAGE);
}

/** Text a process printed (a trial's log tail, an exit reason) is stored, not refused: NUL becomes U+FFFD. */
export function replaceNul(s: string): string {
  return s.includes("\u0000") ? s.replaceAll("\u0000", "\uFFFD") : s;
}

/** Whether any string or object key in a JSON-like value holds NUL (no paths built: cheap for every request). */
export function hasNul(value: unknown): boolean {
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const v = stack.pop();
    if (typeof v === "string") {
      if (v.includes("\u0000")) return true;
    } else if (Array.isArray(v)) {
      for (const item of v) stack.push(item);
    } else if (v !== null && typeof v === "object") {
      for (const key of Object.keys(v)) {
        if (key.includes("\u0000")) return true;
        stack.push((v as Record<string, unknown>)[key]);
      }
    }
  }
  return false;
}

/** The path of the first string or object key holding NUL (a key's path ends with the key), or null. */
export function findNul(value: unknown): (string | number)[] | null {
  if (!hasNul(value)) return null;
  const stack: Array<{ v: unknown; path: (string | number)[] }> = [{ v: value, path: [] }];
  while (stack.length > 0) {
    const { v, path } = stack.pop()!;
    if (typeof v === "string") {
      if (v.includes("\u0000")) return path;
    } else if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push({ v: v[i], path: [...path, i] });
    } else if (v !== null && typeof v === "object") {
      for (const key of Object.keys(v).reverse()) {
        if (key.includes("\u0000")) return [...path, key];
        stack.push({ v: (v as Record<string, unknown>)[key], path: [...path, key] });
      }
    }
  }
  return null;
}
