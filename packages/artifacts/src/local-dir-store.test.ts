import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { afterAll, describe, expect, it } from "vitest";
import { LocalDirStore } from "./local-dir-store.js";
import { readAll } from "./testing/bodies.js";

const scratch = mkdtempSync(path.join(tmpdir(), "autoglm-localstore-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** A store root with a directory outside it, where nothing may ever be written. */
function layout(): { root: string; outside: string; store: LocalDirStore } {
  const base = mkdtempSync(path.join(scratch, "case-"));
  const root = path.join(base, "artifacts");
  const outside = path.join(base, "outside");
  mkdirSync(root);
  mkdirSync(outside);
  return { root, outside, store: new LocalDirStore(root) };
}

const bytes = (s: string) => Readable.from([Buffer.from(s)]);

describe("LocalDirStore", () => {
  it("refuses a key that a symbolic link inside the root sends outside it, and writes nothing there", async () => {
    const { root, outside, store } = layout();
    symlinkSync(outside, path.join(root, "teams"));
    writeFileSync(path.join(outside, "secret.txt"), "secret");
    symlinkSync(path.join(outside, "secret.txt"), path.join(root, "leak.txt"));
    const message = 'key "teams/t/model.bin" resolves outside the artifact directory (through a symbolic link)';
    await expect(store.put("teams/t/model.bin", bytes("x"))).rejects.toMatchObject({ code: "INVALID_KEY", message });
    await expect(store.get("leak.txt")).rejects.toMatchObject({
      code: "INVALID_KEY",
      message: 'key "leak.txt" resolves outside the artifact directory (through a symbolic link)',
    });
    await expect(store.stat("leak.txt")).rejects.toMatchObject({ code: "INVALID_KEY" });
    expect(readdirSync(outside)).toEqual(["secret.txt"]);
    // A link that stays inside the root is resolved there.
    await store.put("real/a.txt", bytes("inside"));
    symlinkSync(path.join(root, "real"), path.join(root, "alias"));
    expect((await readAll(await store.get("alias/a.txt"))).toString()).toBe("inside");
  });

  it("never shows a half-written object: a failed upload leaves neither the object nor its temporary file", async () => {
    const { root, store } = layout();
    const failing = new Readable({
      read() {
        this.push(Buffer.alloc(64 * 1024, 1));
        this.destroy(new Error("the agent's connection dropped"));
      },
    });
    await expect(store.put("run/ckpt.pt", failing)).rejects.toThrow("the agent's connection dropped");
    expect(readdirSync(path.join(root, "run"))).toEqual([]);
    expect(await store.stat("run/ckpt.pt")).toBeNull();
  });

  it("does not list or serve what a crash left mid-upload, and no key can name it", async () => {
    const { root, store } = layout();
    await store.put("run/ok.txt", bytes("ok"));
    writeFileSync(path.join(root, "run", ".autoglm-upload-0123456789abcdef"), "half");
    expect((await store.list("")).map((o) => o.key)).toEqual(["run/ok.txt"]);
    await expect(store.get("run/.autoglm-upload-0123456789abcdef")).rejects.toMatchObject({
      code: "INVALID_KEY",
      message:
        'key "run/.autoglm-upload-0123456789abcdef" has a segment starting with ".autoglm-upload-", reserved for uploads in progress',
    });
  });

  it("keeps objects private to the server's user and removes directories a delete empties", async () => {
    const { root, store } = layout();
    await store.put("a/b/c.txt", bytes("c"));
    expect(statSync(path.join(root, "a/b/c.txt")).mode & 0o777).toBe(0o600);
    expect(statSync(path.join(root, "a/b")).mode & 0o777).toBe(0o700);
    expect(readFileSync(path.join(root, "a/b/c.txt"), "utf8")).toBe("c");
    expect(await store.delete("a/")).toBe(1);
    expect(existsSync(path.join(root, "a"))).toBe(false);
    expect(existsSync(root)).toBe(true);
  });

  it("check() creates the directory, and names it with the reason when it cannot be written", async () => {
    const { root } = layout();
    const fresh = new LocalDirStore(path.join(root, "nested", "store"));
    await fresh.check();
    expect(readdirSync(path.join(root, "nested", "store"))).toEqual([]);
    // A regular file where a directory should be: refused even for root, which ignores modes.
    writeFileSync(path.join(root, "file"), "");
    const blocked = path.join(root, "file", "store");
    await expect(new LocalDirStore(blocked).check()).rejects.toMatchObject({
      code: "UNAVAILABLE",
      message: expect.stringMatching(new RegExp(`^the artifact directory ${blocked} is not writable: .*ENOTDIR`)),
    });
    expect(() => new LocalDirStore("relative/dir")).toThrow('the artifact directory "relative/dir" is not an absolute path');
  });
});
