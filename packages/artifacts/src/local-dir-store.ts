import { randomBytes } from "node:crypto";
import { constants } from "node:fs";
import { mkdir, open, readdir, realpath, rename, rmdir, stat, unlink, type FileHandle } from "node:fs/promises";
import path from "node:path";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { checkKey, RESERVED_PREFIX } from "./artifact-key.js";
import { ArtifactStoreError, quoted, reasonOf } from "./errors.js";
import { VerifyingStream } from "./integrity.js";
import { checkPrefix, checkRange } from "./prefix.js";
import type { ArtifactStore, TArtifactStat, TByteRange, TPutOptions, TPutResult } from "./store.js";

/**
 * Objects as files under one directory (the embedded default: `<data dir>/artifacts`).
 * - Atomic: an upload goes to a temporary file in the object's own directory (same file
 *   system), is fsynced, then renamed over the key, and the directory is fsynced: a reader
 *   sees the old object or the whole new one, and a crash leaves at most a temporary file,
 *   which no key can name (RESERVED_PREFIX) and list() skips.
 * - Confined: every path is resolved (symbolic links included) and refused unless it stays
 *   under the root; directories are created one level at a time after that check, so a link
 *   planted inside the root never makes us create or write anything outside it.
 * Directories are 0700 and files 0600: the server's user only (the data dir's rule).
 */
export class LocalDirStore implements ArtifactStore {
  readonly kind = "local" as const;
  private realRoot: string | undefined;

  constructor(readonly root: string) {
    if (!path.isAbsolute(root))
      throw new ArtifactStoreError("CONFIG", `the artifact directory ${quoted(root)} is not an absolute path`);
  }

  get location(): string {
    return this.root;
  }

  async put(key: string, body: Readable, expected?: TPutOptions): Promise<TPutResult> {
    checkKey(key);
    const verifier = new VerifyingStream(expected);
    const dir = await this.makeParent(key);
    const target = path.join(dir, path.basename(key));
    const temp = path.join(dir, `${RESERVED_PREFIX}${randomBytes(8).toString("hex")}`);
    let file: FileHandle | undefined = await open(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
    try {
      const sink = file;
      await pipeline(body, verifier, async (source: AsyncIterable<Buffer>) => {
        for await (const chunk of source) await sink.write(chunk);
      });
      await file.sync();
      await file.close();
      file = undefined;
      await rename(temp, target);
    } catch (err) {
      await file?.close().catch(() => {});
      await unlink(temp).catch(() => {});
      throw err;
    }
    await syncDir(dir);
    return verifier.result();
  }

  async get(key: string, range?: TByteRange): Promise<Readable> {
    checkRange(range);
    const real = await this.resolveExisting(key);
    if (!real) throw notFound(key);
    const file = await open(real, constants.O_RDONLY | constants.O_NOFOLLOW);
    try {
      if (!(await file.stat()).isFile()) throw notFound(key);
    } catch (err) {
      await file.close();
      throw err;
    }
    return file.createReadStream(range ? { start: range.start, end: range.end } : {});
  }

  async stat(key: string): Promise<TArtifactStat | null> {
    const real = await this.resolveExisting(key);
    if (!real) return null;
    const s = await stat(real);
    return s.isFile() ? { key, size: s.size, modifiedAt: s.mtime } : null;
  }

  async list(prefix: string): Promise<TArtifactStat[]> {
    checkPrefix(prefix);
    const root = await this.rootDir();
    // Walk only the directory the prefix names (its part up to the last "/").
    const dirKey = prefix.includes("/") ? prefix.slice(0, prefix.lastIndexOf("/")) : "";
    const start = dirKey ? await this.resolveExisting(dirKey) : root;
    if (!start) return [];
    const found: TArtifactStat[] = [];
    await walk(start, root, prefix, found);
    return found.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  async delete(prefix: string): Promise<number> {
    if (prefix === "")
      throw new ArtifactStoreError("INVALID_KEY", "delete() needs a prefix: an empty one would delete every object");
    const root = await this.rootDir();
    const objects = await this.list(prefix);
    const dirs = new Set<string>();
    for (const o of objects) {
      const file = path.join(root, o.key);
      await unlink(file);
      dirs.add(path.dirname(file));
    }
    // Directories left empty go too, deepest first, never the root.
    for (const dir of [...dirs].sort((a, b) => b.length - a.length)) await removeEmptyDirs(dir, root);
    return objects.length;
  }

  async check(): Promise<void> {
    try {
      const root = await this.rootDir();
      const probe = path.join(root, `${RESERVED_PREFIX}check-${randomBytes(8).toString("hex")}`);
      const file = await open(probe, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
      try {
        await file.write("ok\n");
        await file.sync();
      } finally {
        await file.close();
        await unlink(probe);
      }
    } catch (err) {
      throw new ArtifactStoreError("UNAVAILABLE", `the artifact directory ${this.root} is not writable: ${reasonOf(err)}`, {
        cause: err,
      });
    }
  }

  async close(): Promise<void> {}

  /** The root, created (0700) on first use, with its own symbolic links resolved once. */
  private async rootDir(): Promise<string> {
    if (this.realRoot) return this.realRoot;
    await mkdir(this.root, { recursive: true, mode: 0o700 });
    this.realRoot = await realpath(this.root);
    return this.realRoot;
  }

  private async confined(real: string, key: string): Promise<string> {
    const root = await this.rootDir();
    if (real !== root && !real.startsWith(root + path.sep)) {
      throw new ArtifactStoreError(
        "INVALID_KEY",
        `key ${quoted(key)} resolves outside the artifact directory (through a symbolic link)`,
      );
    }
    return real;
  }

  /** The real path of an existing key (links resolved and confined), or null. */
  private async resolveExisting(key: string): Promise<string | null> {
    checkKey(key);
    let real: string;
    try {
      real = await realpath(path.join(await this.rootDir(), key));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT" || (err as NodeJS.ErrnoException).code === "ENOTDIR") return null;
      throw err;
    }
    return this.confined(real, key);
  }

  /** Creates the key's directories one at a time, each checked to be inside the root before the next. */
  private async makeParent(key: string): Promise<string> {
    let dir = await this.rootDir();
    for (const segment of key.split("/").slice(0, -1)) {
      const next = path.join(dir, segment);
      await mkdir(next, { mode: 0o700 }).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== "EEXIST") throw err;
      });
      dir = await this.confined(await realpath(next), key);
    }
    return dir;
  }
}

function notFound(key: string): ArtifactStoreError {
  return new ArtifactStoreError("NOT_FOUND", `no artifact under key ${quoted(key)}`);
}

/** Makes a rename durable: the directory entry itself is fsynced (ext4/xfs need it). */
async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, constants.O_RDONLY | constants.O_DIRECTORY);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Regular files under `dir` whose key starts with `prefix`; symbolic links are not followed. */
async function walk(dir: string, root: string, prefix: string, found: TArtifactStat[]): Promise<void> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.name.startsWith(RESERVED_PREFIX)) continue;
    const full = path.join(dir, entry.name);
    const key = path.relative(root, full).split(path.sep).join("/");
    if (entry.isDirectory()) {
      if (key.startsWith(prefix) || prefix.startsWith(`${key}/`)) await walk(full, root, prefix, found);
    } else if (entry.isFile() && key.startsWith(prefix)) {
      const s = await stat(full);
      found.push({ key, size: s.size, modifiedAt: s.mtime });
    }
  }
}

async function removeEmptyDirs(dir: string, root: string): Promise<void> {
  for (let d = dir; d !== root && d.startsWith(root + path.sep); d = path.dirname(d)) {
    try {
      await rmdir(d);
    } catch {
      return; // not empty (or already gone): its parents are not empty either
    }
  }
}
