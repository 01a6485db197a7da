import { chmodSync, lstatSync, mkdirSync, readdirSync } from "node:fs";
import path from "node:path";

/**
 * Creates `dir` (and any missing parent) with mode 0700, and sets 0700 on it when it already
 * exists. Data directories hold password hashes and every team's rows: trials run on this
 * machine (as `nobody` under a root agent) must not read them. mkdir's mode is trimmed by the
 * umask, never widened, so 0700 holds whatever the umask is.
 */
export function makePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
}

/**
 * Everything below `dir`: directories 0700, files 0600. PGlite writes its files 0644/0666 (its
 * file system layer ignores modes); this runs when the database opens and after migrations.
 * Symlinks are left alone (chmod would follow them out of the tree); files that vanish while
 * we walk (PGlite renames WAL segments) are skipped.
 */
export function tightenTree(dir: string): void {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return;
    throw err;
  }
  for (const e of entries) {
    const p = path.join(dir, e.name);
    try {
      if (e.isSymbolicLink()) continue;
      if (e.isDirectory()) {
        if ((lstatSync(p).mode & 0o777) !== 0o700) chmodSync(p, 0o700);
        tightenTree(p);
      } else if (e.isFile() && (lstatSync(p).mode & 0o777) !== 0o600) {
        chmodSync(p, 0o600);
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
    }
  }
}
