import { CST, isScalar, Lexer, LineCounter, parseDocument, visit, type Document } from "yaml";
import { capMessage, countValues, MAX_SPEC_VALUES } from "./spec-size.js";

/** The longest YAML spec accepted (characters); real specs are a few KB. */
export const MAX_SPEC_YAML_CHARS = 200_000;

/**
 * Aliases (`*name`) a YAML spec may use, and yaml's maxAliasCount (uses of one anchor, times
 * the aliases nested in it). A real spec reuses a choice list or a `when` list a few times.
 * The text cap also bounds yaml's alias lookup, which scans every earlier anchor per alias.
 */
export const MAX_YAML_ALIASES = 50;

/** Lexer tokens that start a node: scalars (keys too), aliases and flow collections. */
const NODE_TOKENS = new Set([
  "scalar",
  "single-quoted-scalar",
  "double-quoted-scalar",
  "block-scalar-header",
  "alias",
  "flow-map-start",
  "flow-seq-start",
]);

export type TSpecYamlResult = { ok: true; value: unknown } | { ok: false; message: string; line?: number; col?: number };

/**
 * YAML text → a plain value, bounded before anything large is built: yaml composes a
 * document at about 5 µs a node, so a 154 KB text holding a 75,000-item list took 0.4 s to
 * compose and, seen through 99 aliases, 24 s to validate. The text is counted token by
 * token first (stopping at the limit), aliases are capped, and the expanded value must
 * hold at most MAX_SPEC_VALUES values. Messages are one capped sentence with a position
 * where yaml gives one. YAML 1.2 core schema: `no` stays a string, `1.0e-5` is a number.
 */
export function parseSpecYaml(text: string): TSpecYamlResult {
  if (text.length > MAX_SPEC_YAML_CHARS) return fail(`the document is longer than ${MAX_SPEC_YAML_CHARS} characters`);
  let nodes = 0;
  let aliases = 0;
  for (const token of new Lexer().lex(text)) {
    const type = CST.tokenType(token);
    if (!type || !NODE_TOKENS.has(type)) continue;
    if (++nodes > MAX_SPEC_VALUES)
      return fail(`the document has more than ${MAX_SPEC_VALUES} keys and values; a study spec needs far fewer`);
    if (type === "alias" && ++aliases > MAX_YAML_ALIASES)
      return fail(`the document has more than ${MAX_YAML_ALIASES} aliases (*name)`);
  }

  const lines = new LineCounter();
  // yaml's own uniqueKeys compares each key with every earlier one (a 10,000-key map took
  // 1 s); duplicateKey below does the same check with a Set.
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: false, prettyErrors: false });
  const at = (offset: number | undefined) => (offset === undefined ? {} : lines.linePos(offset));
  const error = doc.errors[0];
  if (error) return fail(error.message, at(error.pos[0]));
  const dup = duplicateKey(doc);
  if (dup) return fail(`map key ${JSON.stringify(capMessage(dup.key, 100))} appears twice`, at(dup.offset));

  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: MAX_YAML_ALIASES });
  } catch (err) {
    // Unresolved or excessive aliases.
    return fail(err instanceof Error ? err.message : "the document cannot be read");
  }
  if (countValues(value, MAX_SPEC_VALUES) > MAX_SPEC_VALUES) {
    return fail(`aliases expand the document to more than ${MAX_SPEC_VALUES} values; a study spec needs far fewer`);
  }
  return { ok: true, value };
}

/** The first key a mapping repeats (as JavaScript would see it: `1` and `"1"` collide). */
function duplicateKey(doc: Document): { key: string; offset: number | undefined } | null {
  let found: { key: string; offset: number | undefined } | null = null;
  visit(doc, {
    Map(_, map) {
      const seen = new Set<string>();
      for (const pair of map.items) {
        if (!isScalar(pair.key)) continue;
        const key = String(pair.key.value);
        if (seen.has(key)) {
          found = { key, offset: pair.key.range?.[0] };
          return visit.BREAK;
        }
        seen.add(key);
      }
      return undefined;
    },
  });
  return found;
}

function fail(message: string, pos: { line?: number; col?: number } = {}): TSpecYamlResult {
  return {
    ok: false,
    message: capMessage(message.split("\n")[0] ?? message),
    ...(pos.line ? { line: pos.line, col: pos.col } : {}),
  };
}
