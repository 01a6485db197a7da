// The workspace's ESLint flat config. Each package's eslint.config.js is one call:
// `export default workspaceConfig("@autoglm/<name>")`. Rules are syntax-only (no type
// information): a type-aware lint of the tree takes minutes on the 2 CI cores, this one seconds.
import js from "@eslint/js";
import { defineConfig } from "eslint/config";
import globals from "globals";
import reactHooks from "eslint-plugin-react-hooks";
import tseslint from "typescript-eslint";
import { ENV_READERS } from "./env.js";
import { GRAPH, TEST_FILES } from "./graph.js";
import { FUNCTION_SIZE_PACKAGES, MAX_FILE_LINES, MAX_FUNCTION_LINES, PRODUCTION_TS, SIZE_SEVERITY } from "./size.js";

export { GRAPH, TEST_FILES, ENV_READERS };

const SOURCE = "**/*.{ts,tsx,mts,cts,js,mjs,cjs}";
const DRIVERS = "^(?:drizzle-orm|pg|@electric-sql/pglite)(?:/|$)";
/** @param {string[]} pkgs */
const names = (pkgs) => pkgs.map((p) => p.replace(/^@autoglm\//, "")).join("|");
/** @param {string[]} pkgs */
const oneOf = (pkgs) => `^@autoglm/(?:${names(pkgs)})(?:/|$)`;
/**
 * Matches any workspace package outside `allowed`; null when everything is allowed.
 * @param {string[]} allowed
 */
const outside = (allowed) =>
  allowed.includes("*") ? null : allowed.length ? `^@autoglm/(?!(?:${names(allowed)})(?:/|$))` : "^@autoglm/";

/** Tool configs (eslint, vitest, next, drizzle-kit): read by tools, never shipped. */
const TOOL_CONFIGS = ["*.config.{js,mjs,cjs,ts}"];
/** Files that may read process.env in any package: tests, benches, scripts, tool configs. */
const ENV_ANYWHERE = [...TEST_FILES, "scripts/**", ...TOOL_CONFIGS];

/**
 * The import restrictions for one kind of file in one package.
 * @param {string} name the package
 * @param {{ ours: string[], typesOnly: string[], drivers: boolean, isTest: boolean }} kind
 *   isTest: tests, harnesses and tool configs, which never ship
 * @returns {import("eslint").Linter.RulesRecord}
 */
function importRestrictions(name, kind) {
  const self = name;
  /** @type {{ regex: string, message: string, allowTypeImports?: boolean }[]} */
  const patterns = [];
  const wrongWay = outside([...kind.ours, ...kind.typesOnly, self]);
  if (wrongWay) {
    const allowed = kind.ours.length ? kind.ours.join(", ") : "nothing of ours";
    patterns.push({
      regex: wrongWay,
      message: `${name} may import ${allowed}${kind.typesOnly.length ? ` (and ${kind.typesOnly.join(", ")} for types)` : ""}: the package graph is one-way (STYLE.md §1, tooling/eslint/graph.js).`,
    });
  }
  if (kind.typesOnly.length) {
    patterns.push({
      regex: oneOf(kind.typesOnly),
      allowTypeImports: true,
      message: `${name} takes ${kind.typesOnly.join(", ")} for types only: use \`import type\` (it must not load server code at run time).`,
    });
  }
  if (!kind.drivers) {
    patterns.push({
      regex: DRIVERS,
      message: "Only @autoglm/db imports drizzle-orm, pg or PGlite: use its client or queries (STYLE.md §2).",
    });
  }
  if (name !== "@autoglm/db") {
    patterns.push({
      regex: "^@autoglm/db/schema$",
      message: "Tables are reached through @autoglm/db/queries, which scopes every tenant query (STYLE.md §4).",
    });
  }
  // Seeding, test databases and test servers: never in production code.
  for (const owner of ["@autoglm/artifacts", "@autoglm/db", "@autoglm/scheduler"]) {
    if (!kind.isTest && name !== owner && !name.startsWith("@autoglm/tests-")) {
      patterns.push({ regex: `^${owner}/testing$`, message: `${owner}/testing is for tests and test harnesses only.` });
    }
  }
  if (GRAPH[name]?.builtinsOnly && !kind.isTest) {
    patterns.push({
      regex: "^(?!\\.|node:)",
      message: `${name} has no runtime dependencies: only node: builtins and relative imports.`,
    });
  }
  const envImport = {
    importNames: ["env"],
    message: "Read settings in the app's env.ts and pass them as options (STYLE.md §7).",
  };
  /** @type {import("eslint").Linter.RuleEntry} */
  const importRule = [
    "error",
    {
      paths: [
        { name: "process", ...envImport },
        { name: "node:process", ...envImport },
      ],
      patterns,
    },
  ];
  // `import()` and `require()` of a restricted package are value imports too. esquery regex
  // literals cannot contain "/", hence \x2F.
  const dynamic = patterns.map(({ regex, message }) => {
    const re = `/${regex.replaceAll("/", "\\x2F")}/`;
    return [
      { selector: `ImportExpression[source.value=${re}]`, message },
      { selector: `CallExpression[callee.name="require"][arguments.0.value=${re}]`, message },
    ];
  });
  return {
    "no-restricted-imports": "off",
    "@typescript-eslint/no-restricted-imports": importRule,
    "no-restricted-syntax": ["error", ...dynamic.flat()],
  };
}

/** @param {string} name */
function importConfigs(name) {
  const rule = GRAPH[name];
  if (!rule) throw new Error(`${name} is not in tooling/eslint/graph.js: add its row to the package graph`);
  const ours = rule.ours ?? [];
  const typesOnly = rule.typesOnly ?? [];
  const testOurs = rule.testOurs ?? [];
  const drivers = rule.drivers ?? [];
  const everywhere = drivers.includes("**");
  /** @type {import("eslint").Linter.Config[]} */
  const configs = [
    {
      name: "autoglm/imports/source",
      files: [SOURCE],
      rules: importRestrictions(name, { ours, typesOnly, drivers: everywhere, isTest: false }),
    },
  ];
  if (rule.serverOurs) {
    const serverOurs = rule.serverOurs;
    configs.push({
      name: "autoglm/imports/server-side",
      files: serverOurs.files,
      rules: importRestrictions(name, {
        ours: [...ours, ...serverOurs.ours],
        typesOnly: typesOnly.filter((p) => !serverOurs.ours.includes(p)),
        drivers: everywhere,
        isTest: false,
      }),
    });
  }
  configs.push({
    name: "autoglm/imports/tests",
    files: TEST_FILES,
    rules: importRestrictions(name, {
      ours: [...ours, ...testOurs, "@autoglm/db/testing"],
      typesOnly: typesOnly.filter((p) => !testOurs.includes(p)),
      drivers: everywhere,
      isTest: true,
    }),
  });
  configs.push({
    name: "autoglm/imports/tool-configs",
    files: TOOL_CONFIGS,
    rules: importRestrictions(name, { ours: [...ours, "@autoglm/eslint-config"], typesOnly, drivers: everywhere, isTest: true }),
  });
  const driverFiles = drivers.filter((f) => f !== "**");
  if (driverFiles.length) {
    configs.push({
      name: "autoglm/imports/driver-files",
      files: driverFiles,
      rules: importRestrictions(name, { ours, typesOnly, drivers: true, isTest: false }),
    });
  }
  return configs;
}

/**
 * @param {string} name
 * @returns {import("eslint").Linter.Config[]}
 */
function envConfigs(name) {
  // A tests-only package is all tests.
  const readers = name.startsWith("@autoglm/tests-") ? [{ files: [SOURCE] }] : (ENV_READERS[name] ?? []);
  return [
    {
      name: "autoglm/env",
      files: [SOURCE],
      rules: {
        "no-restricted-properties": [
          "error",
          {
            object: "process",
            property: "env",
            message: "Read settings in the app's env.ts and pass them as options (STYLE.md §7); see tooling/eslint/env.js.",
          },
        ],
      },
    },
    {
      name: "autoglm/env/readers",
      files: [...ENV_ANYWHERE, ...readers.flatMap((r) => r.files)],
      rules: { "no-restricted-properties": "off" },
    },
  ];
}

/**
 * File and function size limits for production TypeScript (size.js).
 * @param {string} name
 * @returns {import("eslint").Linter.Config[]}
 */
function sizeConfigs(name) {
  if (name.startsWith("@autoglm/tests-")) return []; // a tests-only package ships nothing
  const counted = { skipBlankLines: true, skipComments: true };
  /** @type {import("eslint").Linter.RulesRecord} */
  const rules = { "max-lines": [SIZE_SEVERITY, { max: MAX_FILE_LINES, ...counted }] };
  if (FUNCTION_SIZE_PACKAGES.includes(name)) {
    rules["max-lines-per-function"] = [SIZE_SEVERITY, { max: MAX_FUNCTION_LINES, ...counted }];
  }
  return [{ name: "autoglm/size", files: PRODUCTION_TS, ignores: [...TEST_FILES, ...TOOL_CONFIGS], rules }];
}

/**
 * The flat config for one workspace package (run as `eslint .` in its folder).
 * @param {string} name the package's name, a key of GRAPH
 * @param {{ ignores?: string[], browser?: string[], react?: string[] }} [options] extra ignored globs;
 *   globs of browser code; globs of React components and hooks
 */
export function workspaceConfig(name, options = {}) {
  return defineConfig(
    {
      name: "autoglm/ignores",
      ignores: [
        "**/dist/**",
        "**/.next/**",
        "**/node_modules/**",
        "**/target/**",
        "**/coverage/**",
        "**/.turbo/**",
        // Benchmarks' pinned Python environments (git-ignored) ship their own JavaScript.
        "**/.venv/**",
        ...(options.ignores ?? []),
      ],
    },
    { name: "autoglm/files", files: [SOURCE] },
    js.configs.recommended,
    tseslint.configs.recommended,
    {
      name: "autoglm/base",
      languageOptions: { ecmaVersion: 2023, sourceType: "module", globals: { ...globals.node } },
      linterOptions: { reportUnusedDisableDirectives: "error" },
      rules: {
        // `import type` is erased by tsc, so a client that takes a server package's types
        // never loads it; inline `type` keeps one import line per module.
        "@typescript-eslint/consistent-type-imports": ["error", { prefer: "type-imports", fixStyle: "inline-type-imports" }],
        "@typescript-eslint/no-import-type-side-effects": "error",
        "@typescript-eslint/no-unused-vars": [
          "error",
          { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrorsIgnorePattern: "^_", ignoreRestSiblings: true },
        ],
      },
    },
    {
      name: "autoglm/commonjs",
      files: ["**/*.cjs"],
      languageOptions: { sourceType: "commonjs" },
      rules: { "@typescript-eslint/no-require-imports": "off" }, // require() is how CommonJS imports
    },
    {
      name: "autoglm/tests",
      files: TEST_FILES,
      // Tests read untyped JSON off the wire and build deliberately malformed input.
      rules: { "@typescript-eslint/no-explicit-any": "off" },
    },
    ...(options.browser
      ? [{ name: "autoglm/browser", files: options.browser, languageOptions: { globals: { ...globals.browser } } }]
      : []),
    ...(options.react
      ? [
          /** @type {import("eslint").Linter.Config} */ ({
            name: "autoglm/react-hooks",
            files: options.react,
            plugins: { "react-hooks": /** @type {import("eslint").ESLint.Plugin} */ (/** @type {unknown} */ (reactHooks)) },
            // The two classic hook rules; the plugin's React Compiler rules assume the compiler.
            rules: { "react-hooks/rules-of-hooks": "error", "react-hooks/exhaustive-deps": "error" },
          }),
        ]
      : []),
    ...importConfigs(name),
    ...envConfigs(name),
    ...sizeConfigs(name),
  );
}
