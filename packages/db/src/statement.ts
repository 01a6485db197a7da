/**
 * What a log line says about a SQL statement: its verb and first table (`select trials`,
 * `insert into api_tokens`), never its text past that: drizzle sends values as parameters,
 * but a raw statement may inline a literal, and parameters carry hashes and secrets (S10).
 */
export function describeStatement(sql: string): string {
  const verb = /^\s*(\w+)/.exec(sql)?.[1]?.toLowerCase() ?? "statement";
  const table = /\b(?:from|into|update|join)\s+"?([A-Za-z_][\w]*)"?/i.exec(sql)?.[1];
  return table ? `${verb} ${table}` : verb;
}
