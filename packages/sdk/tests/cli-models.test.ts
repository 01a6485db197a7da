/**
 * `autoglm model …` and `client.models` against the whole platform (the built server as a child
 * process, its local artifact store, a real agent): a study's command writes files to its output
 * dir, the agent uploads them, the CLI registers, lists, shows, moves aliases and downloads them,
 * verified. Changed bytes in the store make a download exit 1 naming the file, leaving no file.
 */
import { createHash } from "node:crypto";
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cli } from "./helpers/run.js";
import { startLivePlatform, type LivePlatform } from "./helpers/platform.js";

let p: LivePlatform;
let env: Record<string, string>;
let out: string;
const trials: Array<{ id: string; number: number }> = [];
const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");

// 300 KiB of model: several 64 KiB reads of the store, so the server has sent bytes before it
// finds a change (it then cuts the transfer); config.json fits one read (409 before any byte).
const WRITER = `import json, os, random, shutil
out = os.environ["AUTOGLM_OUTPUT_DIR"]
x = json.loads(os.environ["AUTOGLM_PARAMS"])["x"]
rng = random.Random(os.environ["AUTOGLM_TRIAL_ID"])
open(os.path.join(out, "model.bin"), "wb").write(bytes(rng.getrandbits(8) for _ in range(300 * 1024)))
os.makedirs(os.path.join(out, "meta"))
open(os.path.join(out, "meta", "config.json"), "w").write(json.dumps({"x": x}))
shutil.copytree(out, os.path.join(os.environ["COPIES"], os.environ["AUTOGLM_TRIAL_ID"]))
print(json.dumps({"autoglm": 1, "final": {"loss": (x - 0.3) ** 2}}))
`;

/** What the trial wrote (its copy of the output dir), by relative name. */
async function written(trialId: string, name: string): Promise<Buffer> {
  return readFile(join(p.shared, "copies", trialId, name));
}

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}

/** The stored object of a trial's file in the local store under the data dir. */
async function storedFile(trialId: string, name: string): Promise<string> {
  const hits = (await filesUnder(join(p.dataDir, "artifacts"))).filter((f) => f.includes(trialId) && f.endsWith(name));
  expect(hits, `${name} of ${trialId} in the store`).toHaveLength(1);
  return hits[0]!;
}

beforeAll(async () => {
  p = await startLivePlatform();
  out = await mkdtemp(join(tmpdir(), "autoglm-models-out-"));
  env = { AUTOGLM_SERVER: p.url, AUTOGLM_TOKEN: p.token, AUTOGLM_CONFIG: join(out, "config.json") };
  await writeFile(join(p.shared, "write.py"), WRITER, { mode: 0o755 });
  await mkdir(join(p.shared, "copies"));
  await chmod(join(p.shared, "copies"), 0o777);
  const { id: studyId } = await p.client.studies.create({
    projectId: p.projectId,
    yaml: `name: registry
objective: {metric: loss, direction: minimize}
space:
  x: {type: float, low: 0, high: 1}
sampler: {name: random, seed: 5}
budget: {max_trials: 2, max_parallel: 1}
run:
  command: /usr/bin/python3 ${join(p.shared, "write.py")}
  env: {COPIES: ${join(p.shared, "copies")}}
`,
  });
  await p.startAgent();
  for (const deadline = Date.now() + 120_000; ; await new Promise((r) => setTimeout(r, 500))) {
    const page = await p.client.trials.list({ studyId });
    const done = page.items.filter((t) => t.state === "complete");
    if (done.length === 2) {
      trials.push(...done.map((t) => ({ id: t.id, number: t.number })).sort((a, b) => a.number - b.number));
      break;
    }
    if (Date.now() > deadline) throw new Error(`trials did not complete: ${JSON.stringify(page.items.map((t) => t.state))}`);
  }
}, 240_000);

afterAll(async () => {
  await p?.close();
  if (out) await rm(out, { recursive: true, force: true });
});

describe("autoglm model", () => {
  let v1: {
    model: string;
    version: number;
    digest: string;
    uri: string;
    flavor: string;
    files: Array<{ name: string; sizeBytes: number; sha256: string }>;
  };

  it("register --json prints the new version with its files, SHA-256s and digest", async () => {
    const r = await cli(
      ["model", "register", "--trial", trials[0]!.id, "--name", "digits-mlp", "--alias", "champion", "--json"],
      env,
    );
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    v1 = JSON.parse(r.stdout);
    expect(v1).toMatchObject({
      model: "digits-mlp",
      version: 1,
      uri: "models:/digits-mlp/1",
      flavor: "files",
      aliases: ["champion"],
    });
    expect(v1.files.map((f) => f.name)).toEqual(["meta/config.json", "model.bin"]);
    for (const f of v1.files) {
      const bytes = await written(trials[0]!.id, f.name);
      expect(f).toMatchObject({ sizeBytes: bytes.length, sha256: sha(bytes) });
    }
    // The digest, recomputed as the README says: SHA-256 of the canonical manifest.
    const canonical = JSON.stringify(v1.files.map((f) => ({ name: f.name, size: f.sizeBytes, sha256: f.sha256 })));
    expect(v1.digest).toBe(createHash("sha256").update(canonical).digest("hex"));
  });

  it("register (human) says the version, its digest and where the alias points", async () => {
    const r = await cli(["model", "register", "--trial", trials[1]!.id, "--name", "digits-mlp", "--alias", "candidate"], env);
    expect(r.code).toBe(0);
    const v2 = await p.client.models.resolve("digits-mlp/2");
    expect(r.stdout.split("\n")[0]).toBe(`Registered digits-mlp version 2 (sha256:${v2.digest}); alias candidate → 2`);
    expect(r.stdout).toContain("models:/digits-mlp/2");
  });

  it("list and show print the table, the aliases and each version's lineage", async () => {
    const list = await cli(["model", "list"], env);
    expect(list.code).toBe(0);
    const row = list.stdout.split("\n").find((l) => l.startsWith("digits-mlp"))!;
    expect(row).toMatch(/^digits-mlp\s+v2\s+2\s+(champion→1,candidate→2|candidate→2,champion→1)\s+loss [\d.e-]+ \(v[12]\)/);
    const listJson = JSON.parse((await cli(["model", "list", "--json"], env)).stdout);
    expect(listJson).toMatchObject([{ name: "digits-mlp", versionCount: 2, latest: { version: 2 } }]);

    const show = await cli(["model", "show", "digits-mlp"], env);
    expect(show.code).toBe(0);
    expect(show.stdout).toContain("digits-mlp: 2 versions");
    expect(show.stdout).toMatch(/aliases: .*champion → 1/);
    expect(show.stdout).toContain(`sha256:${v1.digest.slice(0, 12)}`);
    expect(show.stdout).toMatch(new RegExp(`v1  study "registry" trial #${trials[0]!.number} attempt 1 · loss [\\d.e-]+ · x=`));
    const one = await cli(["model", "show", "models:/digits-mlp@champion", "--json"], env);
    expect(JSON.parse(one.stdout)).toMatchObject({ version: 1, digest: v1.digest });
  });

  it("alias moves and removes an alias; a missing version is a precise error", async () => {
    const moved = await cli(["model", "alias", "digits-mlp", "champion", "2"], env);
    expect(moved.stdout).toBe("alias champion of digits-mlp: 1 → 2\n");
    expect((await p.client.models.resolve("digits-mlp@champion")).version).toBe(2);
    const back = await cli(["model", "alias", "digits-mlp", "champion", "1", "--json"], env);
    expect(JSON.parse(back.stdout)).toEqual({ model: "digits-mlp", alias: "champion", version: 1, previousVersion: 2 });
    const removed = await cli(["model", "alias", "digits-mlp", "candidate", "--remove"], env);
    expect(removed.stdout).toBe("removed alias candidate of digits-mlp (was version 2)\n");

    const missing = await cli(["model", "alias", "digits-mlp", "champion", "9"], env);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('Model "digits-mlp" has no version 9 for alias "champion" to point at.');
    expect((await cli(["model", "alias", "digits-mlp", "champion"], env)).code).toBe(2);
  });

  it("download writes every file, byte for byte, and says what it verified", async () => {
    const dir = join(out, "champion");
    const r = await cli(["model", "download", "digits-mlp@champion", "-o", dir], env);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    for (const name of ["model.bin", "meta/config.json"]) {
      const got = await readFile(join(dir, name));
      expect(got.equals(await written(trials[0]!.id, name)), name).toBe(true);
      expect(sha(got)).toBe(v1.files.find((f) => f.name === name)!.sha256);
    }
    expect((await filesUnder(dir)).sort()).toEqual([join(dir, "meta/config.json"), join(dir, "model.bin")]);
    expect(r.stdout).toContain(`Downloaded models:/digits-mlp/1 (2 files, `);
    expect(r.stdout).toContain(`every SHA-256 and the digest sha256:${v1.digest} verified`);

    // The SDK's own method is the same code.
    const sdkDir = join(out, "sdk");
    const got = await p.client.models.download("models:/digits-mlp/2", sdkDir);
    expect(got.files.map((f) => f.name)).toEqual(["meta/config.json", "model.bin"]);
    expect((await readFile(join(sdkDir, "model.bin"))).equals(await written(trials[1]!.id, "model.bin"))).toBe(true);
  });

  it("bad references and unknown models are errors that say what is wrong, exit 1", async () => {
    const shapes = await cli(["model", "download", "digits mlp@x", "-o", join(out, "bad")], env);
    expect(shapes.code).toBe(1);
    expect(shapes.stderr).toMatch(/must be models:\/<name>@<alias>, models:\/<name>\/<version>/);
    const alias = await cli(["model", "download", "digits-mlp@nope", "-o", join(out, "bad")], env);
    expect(alias.code).toBe(1);
    expect(alias.stderr).toContain('"nope"');
    const unknown = await cli(["model", "show", "no-such-model"], env);
    expect(unknown.stderr).toBe("autoglm: error: Model not found. [NOT_FOUND]\n");
    expect(await filesUnder(join(out, "bad"))).toEqual([]);
    const noOut = await cli(["model", "download", "digits-mlp/1"], env);
    expect(noOut.code).toBe(2);
  });

  it("a file changed in the store: download exits 1 naming it and leaves no file; register refuses it too", async () => {
    const stored = await storedFile(trials[0]!.id, "model.bin");
    const original = await readFile(stored);
    const flipped = Buffer.from(original);
    flipped[flipped.length - 1]! ^= 0xff;
    await writeFile(stored, flipped);

    const dir = join(out, "tampered");
    const r = await cli(["model", "download", "digits-mlp/1", "-o", dir], env);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^autoglm: error: file "model\.bin" of models:\/digits-mlp\/1: the transfer was cut off/);
    expect(r.stdout).toBe("");
    // config.json (first by name) had arrived whole: it is removed with the rest, as are the dirs made for it.
    expect(await filesUnder(dir)).toEqual([]);

    const small = await storedFile(trials[0]!.id, "config.json");
    await writeFile(stored, original);
    await writeFile(small, '{"x": 2}');
    const r2 = await cli(["model", "download", "digits-mlp@champion", "-o", dir, "--json"], env);
    expect(r2.code).toBe(1);
    expect(r2.stderr).toContain(
      'file "meta/config.json" of models:/digits-mlp/1 was not downloaded: File "meta/config.json" no longer matches',
    );
    expect(r2.stderr).toContain("[ARTIFACT_TAMPERED]");
    expect(await filesUnder(dir)).toEqual([]);

    const again = await cli(["model", "register", "--trial", trials[0]!.id, "--name", "digits-mlp"], env);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('File "meta/config.json"');
    expect((await p.client.models.get("digits-mlp")).versions).toHaveLength(2);
  });
});
