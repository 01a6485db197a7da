/**
 * How many values (objects, arrays and scalars, at any depth) a study spec may hold. A real
 * spec has a few hundred: 200 parameters of 5-6 fields each is about 1,200, plus their
 * choices. On the 2-core dev box zod validated 9,000 values in 3-7 ms warm (160 ms on a
 * cold process) and yaml composed them in 40-120 ms; a 1 MiB body of a 250,000-item choice
 * list took 0.8 s before zod reached the list's max length. With 10,000 allowed, team B's
 * auth.me p99 while team A sent the largest specs was 52-117 ms; with 5,000, 46-84 (S12).
 */
export const MAX_SPEC_VALUES = 5_000;

/** Longest error message a spec or YAML check returns; a long key or value is cut, not echoed whole. */
export const MAX_SPEC_MESSAGE_CHARS = 500;

/**
 * Counts the values in a parsed JSON or YAML value, stopping as soon as the count passes
 * `limit` (returns limit + 1), so a huge or alias-expanded document costs O(limit). Shared
 * objects (YAML aliases) count every time they are reached, as a consumer would see them.
 */
export function countValues(value: unknown, limit: number): number {
  // Every value on the stack will be counted, so count + stack.length only grows.
  let count = 0;
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const v = stack.pop();
    count++;
    if (Array.isArray(v)) {
      if (count + stack.length + v.length > limit) return limit + 1;
      for (const item of v) stack.push(item);
    } else if (v !== null && typeof v === "object") {
      for (const key in v) {
        if (count + stack.length + 1 > limit) return limit + 1;
        stack.push((v as Record<string, unknown>)[key]);
      }
    }
  }
  return count > limit ? limit + 1 : count;
}

/** Cuts a message to MAX_SPEC_MESSAGE_CHARS (or `max`), marking the cut. */
export function capMessage(message: string, max = MAX_SPEC_MESSAGE_CHARS): string {
  return message.length <= max ? message : `${message.slice(0, max - 1)}…`;
}
