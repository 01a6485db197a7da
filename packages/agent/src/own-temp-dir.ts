import { chmodSync, lstatSync, mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

/**
 * `<tmpdir>/<name>`, a directory of ours with mode 0755: trial users (nobody) can pass through
 * it, only we can change it. Any user can create names in /tmp, so a directory of that name
 * that is not ours (or is a symlink) is never used: a fresh `mkdtemp` one is made instead.
 * The mode is set explicitly because mkdir's is trimmed by the umask (077 made it 0700).
 */
export function ownTempDir(name: string): string {
  const dir = path.join(tmpdir(), name);
  const uid = typeof process.getuid === "function" ? process.getuid() : null;
  try {
    mkdirSync(dir, { mode: 0o755 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
  }
  const st = lstatSync(dir);
  if (st.isDirectory() && (uid === null || st.uid === uid)) {
    if ((st.mode & 0o777) !== 0o755) chmodSync(dir, 0o755);
    return dir;
  }
  const fresh = mkdtempSync(path.join(tmpdir(), `${name}-`));
  chmodSync(fresh, 0o755);
  return fresh;
}
