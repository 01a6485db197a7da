// The rules as a user of the tree meets them: wrong-way imports and scattered process.env
// reads are lint errors, the allowed forms are not, and every package is covered.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { ESLint } from "eslint";
import { describe, expect, it } from "vitest";
import { GRAPH, workspaceConfig } from "../index.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");

/**
 * ESLint's result for `code` as the file `file` of the package in `dir`.
 * @param {string} dir @param {string} file @param {string} code @param {boolean} [fix]
 */
async function lintResult(dir, file, code, fix = false) {
  const name = JSON.parse(readFileSync(path.join(ROOT, dir, "package.json"), "utf8")).name;
  const eslint = new ESLint({ cwd: path.join(ROOT, dir), overrideConfigFile: true, overrideConfig: workspaceConfig(name), fix });
  const [result] = await eslint.lintText(code, { filePath: path.join(ROOT, dir, file) });
  if (!result) throw new Error(`no lint result for ${dir}/${file}`);
  return result;
}

/**
 * The rule ids and messages ESLint reports for `code` as the file `file` of the package in `dir`.
 * @param {string} dir @param {string} file @param {string} code
 */
async function lint(dir, file, code) {
  return (await lintResult(dir, file, code)).messages.map((m) => `${m.ruleId}: ${m.message}`);
}

describe("the package graph", () => {
  it("keeps drizzle-orm, pg and PGlite inside @autoglm/db", async () => {
    expect(await lint("packages/api", "src/x.ts", 'import { eq } from "drizzle-orm";\nexport const f = eq;\n')).toEqual([
      expect.stringContaining("Only @autoglm/db imports drizzle-orm, pg or PGlite"),
    ]);
    expect(await lint("packages/scheduler", "src/x.ts", 'import pg from "pg";\nexport const f = pg;\n')).toHaveLength(1);
    expect(await lint("packages/db", "src/x.ts", 'import pg from "pg";\nexport const f = pg;\n')).toEqual([]);
  });

  it("refuses an import against the arrows and allows the ones along them", async () => {
    expect(await lint("packages/api", "src/x.ts", 'import { x } from "@autoglm/web";\nexport const f = x;\n')).toEqual([
      expect.stringContaining(
        "@autoglm/api may import @autoglm/db, @autoglm/logging, @autoglm/optimizer, @autoglm/protocol, @autoglm/scheduler",
      ),
    ]);
    expect(await lint("packages/api", "src/x.ts", 'import { x } from "@autoglm/db/queries";\nexport const f = x;\n')).toEqual([]);
    expect(
      await lint("packages/protocol", "src/x.ts", 'import { x } from "@autoglm/db/client";\nexport const f = x;\n'),
    ).toHaveLength(1);
    expect(
      await lint("packages/scheduler", "src/x.ts", 'import { train } from "@autoglm/native";\nexport const f = train;\n'),
    ).toHaveLength(1);
    expect(
      await lint("packages/agent", "src/x.ts", 'import { train } from "@autoglm/native";\nexport const f = train;\n'),
    ).toEqual([]);
  });

  it("reaches tables only through the query layer, and test helpers only from tests", async () => {
    expect(
      await lint("packages/api", "tests/x.test.ts", 'import { trials } from "@autoglm/db/schema";\nexport const f = trials;\n'),
    ).toEqual([expect.stringContaining("@autoglm/db/queries")]);
    expect(
      await lint(
        "packages/api",
        "src/x.ts",
        'import { createTestDb } from "@autoglm/db/testing";\nexport const f = createTestDb;\n',
      ),
    ).toEqual([expect.stringContaining("for tests and test harnesses only")]);
    expect(
      await lint(
        "packages/api",
        "src/x.test.ts",
        'import { createTestDb } from "@autoglm/db/testing";\nexport const f = createTestDb;\n',
      ),
    ).toEqual([]);
    expect(
      await lint(
        "apps/server",
        "src/x.ts",
        'import { seedTeam } from "@autoglm/scheduler/testing";\nexport const f = seedTeam;\n',
      ),
    ).toEqual([expect.stringContaining("for tests and test harnesses only")]);
    expect(
      await lint(
        "packages/agent",
        "src/testing/x.ts",
        'import { seedTeam } from "@autoglm/scheduler/testing";\nexport const f = seedTeam;\n',
      ),
    ).toEqual([]);
  });

  it("keeps @autoglm/artifacts at the bottom and its S3 test server in tests", async () => {
    expect(
      await lint("packages/artifacts", "src/x.ts", 'import { x } from "@autoglm/db/client";\nexport const f = x;\n'),
    ).toEqual([expect.stringContaining("@autoglm/artifacts may import nothing of ours")]);
    const testServer = 'import { startS3TestServer } from "@autoglm/artifacts/testing";\nexport const f = startS3TestServer;\n';
    expect(await lint("apps/server", "src/x.ts", testServer)).toEqual([
      expect.stringContaining("for tests and test harnesses only"),
    ]);
    expect(await lint("apps/server", "tests/x.test.ts", testServer)).toEqual([]);
  });

  it("lets clients take @autoglm/api for its types only, static or dynamic", async () => {
    expect(
      await lint("packages/sdk", "src/x.ts", 'import type { AppRouter } from "@autoglm/api";\nexport type R = AppRouter;\n'),
    ).toEqual([]);
    expect(
      await lint("packages/sdk", "src/x.ts", 'import { appRouter } from "@autoglm/api";\nexport const r = appRouter;\n'),
    ).toEqual([expect.stringContaining("for types only")]);
    expect(await lint("packages/sdk", "src/x.ts", 'export const m = await import("@autoglm/db/client");\n')).toEqual([
      expect.stringMatching(/^no-restricted-syntax: .*the package graph is one-way/),
    ]);
    expect(await lint("packages/sdk", "src/x.cjs", 'module.exports = require("@autoglm/scheduler");\n')).toEqual([
      expect.stringMatching(/^no-restricted-syntax: /),
    ]);
    const value = 'import { handleTrpcFetch } from "@autoglm/api";\nexport const h = handleTrpcFetch;\n';
    expect(await lint("apps/web", "src/app/page.tsx", value)).toEqual([expect.stringContaining("for types only")]);
    expect(await lint("apps/web", "src/app/api/trpc/[trpc]/route.ts", value)).toEqual([]);
  });

  it("keeps the optimizer free of runtime dependencies", async () => {
    expect(await lint("packages/optimizer", "src/x.ts", 'import { z } from "zod";\nexport const f = z;\n')).toEqual([
      expect.stringContaining("only node: builtins and relative imports"),
    ]);
    expect(
      await lint(
        "packages/optimizer",
        "src/x.ts",
        'import { cpus } from "node:os";\nimport { y } from "./y.js";\nexport const f = [cpus, y];\n',
      ),
    ).toEqual([]);
  });

  it("covers every workspace package, each linting itself with `eslint .`", () => {
    const dirs = ["apps", "packages", "tests", "tooling"].flatMap((group) =>
      readdirSync(path.join(ROOT, group)).map((d) => path.join(group, d)),
    );
    const packages = [...dirs, "native"].filter((d) => existsSync(path.join(ROOT, d, "package.json")));
    for (const dir of packages) {
      const pkg = JSON.parse(readFileSync(path.join(ROOT, dir, "package.json"), "utf8"));
      expect(GRAPH[pkg.name], `${pkg.name} has a row in tooling/eslint/graph.js`).toBeDefined();
      expect(pkg.scripts?.lint, `${pkg.name}'s lint script`).toBe("eslint .");
      expect(existsSync(path.join(ROOT, dir, "eslint.config.js")), `${dir}/eslint.config.js`).toBe(true);
    }
  });
});

describe("config at the edge", () => {
  it("lets only env modules, entry points, tests and scripts read process.env", async () => {
    const read = "export const port = process.env.PORT;\n";
    expect(await lint("packages/api", "src/x.ts", read)).toEqual([expect.stringContaining("env.ts")]);
    expect(await lint("packages/api", "src/x.ts", 'import { env } from "node:process";\nexport const p = env.PORT;\n')).toEqual([
      expect.stringContaining("env.ts"),
    ]);
    expect(await lint("apps/server", "src/env.ts", read)).toEqual([]);
    expect(await lint("apps/server", "src/platform.ts", read)).toHaveLength(1);
    expect(await lint("packages/api", "tests/x.test.ts", read)).toEqual([]);
    expect(await lint("tests/e2e", "src/harness.ts", read)).toEqual([]);
  });
});

describe("type-only imports", () => {
  it("are written `import type` / inline `type`, and --fix rewrites them", async () => {
    const code = 'import { Foo, bar } from "./foo.js";\nexport const x: Foo = bar();\n';
    const result = await lintResult("packages/api", "src/x.ts", code, true);
    expect(result.output).toBe('import { type Foo, bar } from "./foo.js";\nexport const x: Foo = bar();\n');
  });
});

describe("size limits", () => {
  /**
   * A function of `n` counted lines (signature and closing brace included); its comment and blank line do not count.
   * @param {number} n
   */
  const fn = (n) => `export function f(): number {\n  // why\n\n  let x = 0;\n${"  x += 1;\n".repeat(n - 4)}  return x;\n}\n`;
  /**
   * A file of `n` counted lines, each followed by a blank one.
   * @param {number} n
   */
  const file = (n) => Array.from({ length: n }, (_, i) => `export const a${i} = ${i};\n\n`).join("");

  it("refuses a function over 80 lines in the server-side packages, not in tests or other packages", async () => {
    expect(await lint("packages/scheduler", "src/x.ts", fn(80))).toEqual([]);
    expect(await lint("packages/scheduler", "src/x.ts", fn(81))).toEqual([
      expect.stringMatching(/^max-lines-per-function: .*81.*Maximum allowed is 80/),
    ]);
    for (const dir of ["packages/agent", "apps/server", "packages/api"]) {
      expect(await lint(dir, "src/x.ts", fn(81)), dir).toHaveLength(1);
    }
    expect((await lintResult("packages/scheduler", "src/x.ts", fn(81))).errorCount).toBe(1);
    expect(await lint("packages/scheduler", "src/x.test.ts", fn(81))).toEqual([]);
    expect(await lint("packages/optimizer", "src/x.ts", fn(81))).toEqual([]);
  });

  it("refuses a production file over 400 lines unless its top says why it may be longer", async () => {
    expect(await lint("packages/optimizer", "src/x.ts", file(400))).toEqual([]);
    expect(await lint("packages/optimizer", "src/x.ts", file(401))).toEqual([
      expect.stringMatching(/^max-lines: .*401.*Maximum allowed is 400/),
    ]);
    expect((await lintResult("packages/optimizer", "src/x.ts", file(401))).errorCount).toBe(1);
    expect(await lint("packages/optimizer", "src/x.test.ts", file(401))).toEqual([]);
    const allowed = `/* eslint-disable max-lines -- one table, generated */\n${file(401)}`;
    expect(await lint("packages/optimizer", "src/x.ts", allowed)).toEqual([]);
  });
});
