"use client";

/** One badge per alias, "production → v3"; names keep their case (the badge style lowercases state names). */
export function AliasBadges({
  aliases,
  showVersion = true,
}: {
  aliases: Array<{ alias: string; version: number }>;
  showVersion?: boolean;
}) {
  if (aliases.length === 0) return <span className="muted">—</span>;
  return (
    <span className="row" style={{ gap: 4, flexWrap: "wrap" }}>
      {aliases.map((a) => (
        <span
          key={a.alias}
          className="badge badge-role"
          style={{ textTransform: "none" }}
          data-testid="alias-badge"
          data-alias={a.alias}
          data-version={a.version}
        >
          {a.alias}
          {showVersion ? ` → v${a.version}` : ""}
        </span>
      ))}
    </span>
  );
}
