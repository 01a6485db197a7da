import type { CompiledSpace, Dim } from "../space.js";

/** Groups of dims modelled jointly: parameters sharing the same `when` (multivariate), or one dim each. */
export function makeGroups(space: CompiledSpace, multivariate: boolean, group: boolean): Dim[][] {
  if (!multivariate) return space.dims.map((d) => [d]);
  const bySig = new Map<string, Dim[]>();
  const order: string[] = [];
  for (const d of space.dims) {
    const sig = group || d.conditions.length === 0 ? JSON.stringify(d.conditions) : `solo:${d.name}`;
    if (!bySig.has(sig)) {
      bySig.set(sig, []);
      order.push(sig);
    }
    bySig.get(sig)!.push(d);
  }
  // Parents must be sampled before their children: order groups by depth in the condition
  // graph (stable, so declaration order breaks ties).
  const groups = order.map((s) => bySig.get(s)!);
  const rankOf = new Map<Dim[], number>();
  const place = (g: Dim[]): number => {
    if (rankOf.has(g)) return rankOf.get(g)!;
    let r = 0;
    for (const d of g)
      for (const c of d.conditions) {
        const pg = groups.find((h) => h.some((x) => x.name === c.parent))!;
        if (pg !== g) r = Math.max(r, place(pg) + 1);
      }
    rankOf.set(g, r);
    return r;
  };
  groups.forEach(place);
  return groups.sort((a, b) => rankOf.get(a)! - rankOf.get(b)!);
}
