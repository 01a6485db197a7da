// The one-way package graph as a lint error (STYLE §1, §2): api talks to the database only
// through @autoglm/db's query layer, and never imports an app.
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";

const FORBIDDEN = [/^drizzle-orm/, /^pg$/, /^@electric-sql\//, /^@autoglm\/(web|server|sdk|agent)/, /^@autoglm\/db\/schema$/];
const root = path.resolve(process.argv[2] ?? "src");
const bad = [];
function walk(dir) {
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) walk(p);
    else if (/\.tsx?$/.test(name)) {
      const text = readFileSync(p, "utf8");
      for (const m of text.matchAll(/(?:from|import)\s*\(?\s*["']([^"']+)["']/g)) {
        if (FORBIDDEN.some((re) => re.test(m[1]))) bad.push(`${path.relative(process.cwd(), p)}: imports ${m[1]}`);
      }
    }
  }
}
walk(root);
if (bad.length) {
  console.error(`wrong-way imports (see STYLE.md §1-2):\n  ${bad.join("\n  ")}`);
  process.exit(1);
}
