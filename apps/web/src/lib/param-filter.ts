/** `act=relu, layers=3` → `{ act: "relu", layers: 3 }` (the API filters by equality); else null. */
export function parseParamFilter(text: string): Record<string, string | number | boolean> | null {
  const parts = text.split(/[,\s]+/).filter(Boolean);
  if (parts.length === 0) return null;
  const out: Record<string, string | number | boolean> = {};
  for (const p of parts) {
    const m = /^([A-Za-z_][\w.-]*)=(.+)$/.exec(p);
    if (!m || !m[1] || m[2] === undefined) return null;
    const v = m[2];
    out[m[1]] = v === "true" ? true : v === "false" ? false : Number.isFinite(Number(v)) ? Number(v) : v;
  }
  return out;
}
