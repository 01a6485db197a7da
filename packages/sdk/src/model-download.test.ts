/**
 * The client's own checks, against a plain HTTP server that sends what it is told to (the real
 * platform never sends changed bytes whole, so its tests cannot show the client catching them):
 * wrong bytes, a short body and unsafe names are refused, naming the file, and nothing is left.
 */
import { createHash } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdir, mkdtemp, readdir, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AutoglmError } from "./errors.js";
import { downloadModelVersion, safeTargetPath, type TDownloadableVersion } from "./model-download.js";
import { manifestDigest } from "./model-manifest.js";

const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");
const bodies = new Map<string, Buffer>();
let server: Server;
let base: string;
let dir: string;
let requests = 0;

beforeAll(async () => {
  server = createServer((req, res) => {
    requests++;
    const body = bodies.get(req.url!.replace(/\?.*$/, ""));
    if (!body) return void res.writeHead(404).end();
    // "short:" bodies promise more than they send, then the connection drops.
    const short = req.url!.includes("short");
    res.writeHead(200, { "content-length": String(short ? body.length + 10 : body.length) });
    if (short) res.write(body, () => res.destroy());
    else res.end(body);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  dir = await mkdtemp(join(tmpdir(), "autoglm-download-unit-"));
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  await rm(dir, { recursive: true, force: true });
});

function version(files: Array<{ name: string; url: string; recorded: Buffer }>, digest?: string): TDownloadableVersion {
  const list = files.map((f) => ({ name: f.name, sizeBytes: f.recorded.length, sha256: sha(f.recorded), downloadUrl: f.url }));
  return { model: "m", version: 1, uri: "models:/m/1", digest: digest ?? manifestDigest(list), files: list };
}

const transport = () => ({ server: base, token: "agl_test", fetch });

async function failure(p: Promise<unknown>): Promise<AutoglmError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AutoglmError);
  return err as AutoglmError;
}

describe("downloadModelVersion", () => {
  it("writes files whose bytes match, and nothing when one file's bytes differ", async () => {
    const good = Buffer.from("weights");
    bodies.set("/a/good.bin", good);
    const ok = await downloadModelVersion(
      transport(),
      version([{ name: "sub/good.bin", url: "/a/good.bin", recorded: good }]),
      join(dir, "ok"),
    );
    expect(ok.files).toEqual([
      { name: "sub/good.bin", path: join(dir, "ok", "sub", "good.bin"), sizeBytes: 7, sha256: sha(good) },
    ]);

    bodies.set("/a/evil.bin", Buffer.from("WEIGHTS"));
    const v = version([
      { name: "a-first.txt", url: "/a/good.bin", recorded: good },
      { name: "deep/er/weights.bin", url: "/a/evil.bin", recorded: good },
    ]);
    const err = await failure(downloadModelVersion(transport(), v, join(dir, "bad")));
    expect(err.code).toBe("CHECKSUM_MISMATCH");
    expect(err.message).toContain(
      `file "deep/er/weights.bin" of models:/m/1: received 7 bytes with SHA-256 ${sha(Buffer.from("WEIGHTS"))}`,
    );
    // The first file had arrived: it is removed too, as are the directories the download made.
    await expect(readdir(join(dir, "bad"))).rejects.toThrow(/ENOENT/);
  });

  it("a body cut short is an incomplete download naming the file; the directory keeps only what was there", async () => {
    const keep = join(dir, "existing");
    await rm(keep, { recursive: true, force: true });
    await mkdir(keep);
    await writeFile(join(keep, "mine.txt"), "user's own file");
    const body = Buffer.alloc(100_000, 7);
    bodies.set("/short/w.bin", body);
    const recorded = Buffer.concat([body, Buffer.alloc(10, 7)]);
    const err = await failure(
      downloadModelVersion(transport(), version([{ name: "w.bin", url: "/short/w.bin", recorded }]), keep),
    );
    expect(err.code).toBe("DOWNLOAD_INCOMPLETE");
    expect(err.message).toMatch(
      /^file "w\.bin" of models:\/m\/1: the transfer was cut off .* after \d+ of 100010 bytes; it was not kept$/,
    );
    expect(await readdir(keep)).toEqual(["mine.txt"]);
  });

  it("refuses names that would leave the directory, and a digest that does not match the list, before any request", async () => {
    const before = requests;
    for (const name of ["../escape.bin", "/etc/passwd", "a/../../b", "a\\..\\b", "a//b", "./x", "C:evil", ""]) {
      const v = version([{ name, url: "/a/good.bin", recorded: Buffer.from("weights") }]);
      const err = await failure(downloadModelVersion(transport(), v, join(dir, "unsafe")));
      expect(err.code, name).toBe("UNSAFE_FILE_NAME");
      expect(err.message).toContain(`refusing file "${name}"`);
    }
    const wrong = version([{ name: "x.bin", url: "/a/good.bin", recorded: Buffer.from("weights") }], "0".repeat(64));
    expect((await failure(downloadModelVersion(transport(), wrong, join(dir, "unsafe")))).code).toBe("DIGEST_MISMATCH");
    expect(requests).toBe(before);
    await expect(readdir(join(dir, "unsafe"))).rejects.toThrow(/ENOENT/);
    expect(safeTargetPath(dir, "a/b.c")).toBe(join(dir, "a", "b.c"));
  });

  it("refuses to write through a symlink in the directory that leads out of it", async () => {
    const outside = await mkdtemp(join(tmpdir(), "autoglm-download-outside-"));
    const target = join(dir, "linked");
    await mkdir(target);
    await symlink(outside, join(target, "sub"));
    bodies.set("/a/good.bin", Buffer.from("weights"));
    const v = version([{ name: "sub/x.bin", url: "/a/good.bin", recorded: Buffer.from("weights") }]);
    const err = await failure(downloadModelVersion(transport(), v, target));
    expect(err.code).toBe("UNSAFE_FILE_NAME");
    expect(err.message).toContain('refusing file "sub/x.bin"');
    expect(await readdir(outside)).toEqual([]);
    await rm(outside, { recursive: true, force: true });
  });
});
