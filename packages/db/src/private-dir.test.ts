import { chmodSync, mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createDb } from "./client.js";

const root = mkdtempSync(path.join(tmpdir(), "autoglm-db-modes-"));
// PGlite starts and migrates in 2-5 s on 2 shared cores: the tests get 60 s.
// Any user may pass through the parent: only the data directory's own modes keep them out.
chmodSync(root, 0o755);
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Every entry below `dir` (and `dir` itself) as `mode path` for the ones that are not 0700 dirs / 0600 files. */
function looseModes(dir: string): string[] {
  const out: string[] = [];
  const visit = (p: string) => {
    const st = statSync(p);
    const mode = st.mode & 0o777;
    if (st.uid !== process.getuid?.()) out.push(`uid ${st.uid} ${p}`);
    if (st.isDirectory()) {
      if (mode !== 0o700) out.push(`${mode.toString(8)} ${p}`);
      for (const e of readdirSync(p)) visit(path.join(p, e));
    } else if (mode !== 0o600) out.push(`${mode.toString(8)} ${p}`);
  };
  visit(dir);
  return out;
}

function loosen(dir: string): void {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) {
      chmodSync(p, 0o777);
      loosen(p);
    } else chmodSync(p, 0o666);
  }
  chmodSync(dir, 0o777);
}

describe("the embedded database's data directory", () => {
  it("is created 0700, parents included, with every file 0600 once the database is open", async () => {
    const dataDir = path.join(root, "fresh", "pglite");
    const db = await createDb({ dataDir });
    try {
      expect(readdirSync(dataDir).length).toBeGreaterThan(5);
      expect(statSync(path.join(root, "fresh")).mode & 0o777).toBe(0o700);
      expect(looseModes(dataDir)).toEqual([]);
    } finally {
      await db.close();
    }
  }, 60_000);

  it("tightens an existing directory whose files were left readable by everyone", async () => {
    const dataDir = path.join(root, "old", "pglite");
    await (await createDb({ dataDir })).close();
    loosen(path.join(root, "old"));
    expect(looseModes(dataDir).length).toBeGreaterThan(5);
    const db = await createDb({ dataDir });
    try {
      expect(looseModes(dataDir)).toEqual([]);
      expect((await db.query<{ n: number }>("SELECT 1 AS n"))[0]?.n).toBe(1);
    } finally {
      await db.close();
    }
  }, 60_000);
});
