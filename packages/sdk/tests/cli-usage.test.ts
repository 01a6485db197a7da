import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cli } from "./helpers/run.js";

// Usage errors are decided before any request: no server needed. Exit 2, one line, no stack.
let dir: string;
let env: Record<string, string>;
let port: number;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "autoglm-usage-"));
  // A port that was free a moment ago: if a command wrongly made a request, it would fail
  // with "cannot reach", not with the usage error the test expects.
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, "127.0.0.1", r));
  port = (probe.address() as AddressInfo).port;
  await new Promise((r) => probe.close(r));
  env = { AUTOGLM_CONFIG: join(dir, "config.json"), AUTOGLM_SERVER: `http://127.0.0.1:${port}`, AUTOGLM_TOKEN: "agl_unused" };
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("autoglm usage errors", () => {
  it("--help lists the commands and exits 0", async () => {
    const r = await cli(["--help"], env);
    expect(r.code).toBe(0);
    for (const c of ["login", "study", "trial", "agent", "deploy", "endpoint"]) expect(r.stdout).toContain(c);
  });

  it.each([
    [["bogus"], /unknown command 'bogus'/],
    [["study", "create", "-f", "x.yaml"], /required option '-p, --project <project>' not specified/],
    [["trial", "report", "T", "--step", "-1", "--value", "1"], /"-1" is not a whole number/],
    [["trial", "report", "T", "--step", "1", "--value", "NaN"], /"NaN" is not a finite number/],
    [["trial", "tell", "T"], /exactly one of --value V, --values A,B, --failed \[reason\], --pruned/],
    [["trial", "tell", "T", "--value", "1", "--pruned"], /exactly one of/],
    [["study", "list", "--state", "sleeping"], /Allowed choices are running, stopped, completed, failed/],
    [["login", "--server", "http://127.0.0.1:9"], /login needs --server URL and --token T/],
    [["model", "alias", "m", "champion"], /missing VERSION \(or --remove to take the alias off\)/],
    [["model", "alias", "m", "champion", "2", "--remove"], /--remove takes NAME ALIAS only, no VERSION/],
    [["model", "alias", "m", "champion", "0"], /"0" is not a version number/],
    [["model", "download", "m/1"], /required option '-o, --output <dir>' not specified/],
    [["deploy"], /required option '--study <study>' not specified/],
    [["deploy", "--study", "S", "--timeout", "soon"], /"soon" is not a duration for --timeout/],
    [["endpoint", "key", "revoke", "digits"], /missing required argument 'key'/],
    [["endpoint", "update", "digits", "--target-concurrency", "lots"], /"lots" is not a finite number/],
    [["endpoint", "update", "digits", "--scale-down-delay", "later"], /"later" is not a duration for --scale-down-delay/],
    [["deploy", "--study", "S", "--max", "-1"], /"-1" is not a whole number/],
  ])("autoglm %j → exit 2", async (args, message) => {
    const r = await cli(args, { ...env, AUTOGLM_SERVER: undefined, AUTOGLM_TOKEN: undefined });
    expect(r.stderr).toMatch(message);
    expect(r.code).toBe(2);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack
  });

  it("a token pasted in the wrong place is not echoed back", async () => {
    const token = "agl_Abcd1234567890abcdefghijklmnopqrstuv";
    for (const args of [
      ["study", token],
      ["--server", token, "study", "list"],
      ["trial", "ask"],
    ]) {
      const r = await cli(args, { ...env, AUTOGLM_TOKEN: token });
      expect(r.stdout + r.stderr).not.toContain(token);
    }
    const r = await cli(["study", token], env);
    expect(r.stderr).toContain("agl_Abcd…");
  });

  it("a missing spec file is named", async () => {
    const r = await cli(["study", "create", "-f", join(dir, "nope.yaml"), "--project", "demo"], env);
    expect(r.stderr).toContain(`cannot read ${join(dir, "nope.yaml")}: ENOENT`);
    expect(r.code).toBe(2);
  });

  it("an invalid spec fails locally, before any request", async () => {
    const file = join(dir, "bad.yaml");
    await writeFile(
      file,
      "name: bad\nobjective: {metric: loss, direction: minimize}\nspace:\n  lr: {type: float, low: 0, high: 0.1, log: true}\n",
    );
    const r = await cli(["study", "create", "-f", file, "--project", "demo"], env);
    expect(r.stderr.trim()).toBe("autoglm: error: space.lr.low: must be > 0 when log is true [INVALID_SPEC]");
    expect(r.code).toBe(1);
  });

  it("an unreachable server is one readable line, exit 1; AUTOGLM_DEBUG=1 adds the stack", async () => {
    const r = await cli(["study", "list"], env);
    expect(r.stderr.trim()).toBe(`autoglm: error: cannot reach http://127.0.0.1:${port}: connection refused [UNREACHABLE]`);
    expect(r.code).toBe(1);
    const d = await cli(["study", "list"], { ...env, AUTOGLM_DEBUG: "1" });
    expect(d.stderr).toMatch(/\n\s+at /);
  });

  it("with nothing configured, says how to log in", async () => {
    const r = await cli(["study", "list"], { AUTOGLM_CONFIG: join(dir, "none.json") });
    expect(r.stderr).toContain("no server and token configured: run `autoglm login --server URL --token T`");
    expect(r.code).toBe(1);
  });

  it("the built SDK loads no server package at run time (api, db, scheduler)", async () => {
    // The lint refuses value imports of them in src/ (tooling/eslint); this reads what ships.
    const dist = new URL("../dist/", import.meta.url);
    const files = (await readdir(dist, { recursive: true })).filter((f) => f.endsWith(".js"));
    expect(files).toContain("client.js");
    const loads: string[] = [];
    for (const file of files) {
      const text = await readFile(new URL(file, dist), "utf8");
      for (const m of text.matchAll(
        /(?:from\s*|import\s*\(?\s*|require\s*\(\s*)["'](@autoglm\/(?:api|db|scheduler)(?:\/[^"']*)?)["']/g,
      )) {
        loads.push(`${file}: ${m[1]}`);
      }
    }
    expect(loads).toEqual([]);
  });

  it("`agent start` runs @autoglm/agent and names a bad flag or a missing token", async () => {
    const bad = await cli(["agent", "start", "--gpus", "1"], env);
    expect(bad.stderr).toContain("--gpus");
    expect(bad.code).toBe(2);
    const noToken = await cli(["agent", "start", "--server", "http://127.0.0.1:9"], { ...env, AUTOGLM_TOKEN: "" });
    expect(noToken.stderr).toContain("a token with the agent scope is required");
    expect(noToken.code).toBe(2);
  });
});
