/**
 * Renders a study's command template for `/bin/sh -c`, substituting each `{param}` with the
 * parameter's value QUOTED FOR THE SHELL CONTEXT IT SITS IN (S8):
 *
 *   unquoted        {lr}      → 'value'            (single quotes; ' becomes '\'')
 *   in "double"     "{lr}"    → value with \ " $ ` escaped by a backslash
 *   in 'single'     '{lr}'    → value with ' written as '\''
 *
 * so `; touch /tmp/pwn`, `$(id)`, backticks and newlines are always data, never code, while
 * the template itself keeps the shell's operators (`&&`, pipes, redirections) for the user.
 * `{name}` is substituted only for names of the trial's parameters, and never right after a
 * `$` (so `${HOME}` stays a shell expansion of the template's author).
 */
export function renderCommand(template: string, params: Record<string, unknown>): string {
  let out = "";
  let state: "none" | "single" | "double" = "none";
  for (let i = 0; i < template.length; i++) {
    const ch = template[i]!;
    if (ch === "{" && template[i - 1] !== "$") {
      const close = template.indexOf("}", i + 1);
      if (close > i) {
        const name = template.slice(i + 1, close);
        if (Object.prototype.hasOwnProperty.call(params, name)) {
          out += quoteFor(state, formatValue(params[name]));
          i = close;
          continue;
        }
      }
    }
    out += ch;
    if (state === "none") {
      if (ch === "\\") {
        // An escaped character outside quotes is literal; copy it and skip it.
        if (i + 1 < template.length) out += template[++i];
      } else if (ch === "'") state = "single";
      else if (ch === '"') state = "double";
    } else if (state === "single") {
      if (ch === "'") state = "none";
    } else {
      if (ch === "\\") {
        if (i + 1 < template.length) out += template[++i];
      } else if (ch === '"') state = "none";
    }
  }
  return out;
}

function quoteFor(state: "none" | "single" | "double", value: string): string {
  if (state === "single") return value.replace(/'/g, `'\\''`);
  if (state === "double") return value.replace(/[\\"$`]/g, (c) => `\\${c}`);
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** How a parameter appears on a command line: numbers as JavaScript prints them, booleans as true/false. */
export function formatValue(v: unknown): string {
  if (v === null || v === undefined) return "";
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  return JSON.stringify(v);
}
