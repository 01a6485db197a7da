/**
 * Whether `name` matches what a person typed in a list's filter box: every word of `query`
 * appears in the name, in any order and case ("lr sweep" finds "resnet-LR-sweep-3"). An empty
 * query matches everything.
 */
export function nameMatches(name: string, query: string): boolean {
  const lower = name.toLowerCase();
  return query
    .toLowerCase()
    .split(/\s+/)
    .every((word) => lower.includes(word));
}
