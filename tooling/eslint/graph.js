/**
 * The one-way package graph (ARCHITECTURE.md "The monorepo", STYLE.md §1–2) as data; the
 * import rules in index.js are built from it. It encodes the graph that holds today: the
 * edges marked "beyond the design" are listed so they are visible, not silently allowed.
 *
 * Per package:
 *   ours       workspace packages its sources may import (any subpath of one counts)
 *   typesOnly  workspace packages its sources may take with `import type` only (tsc erases them)
 *   testOurs   extra packages its tests and test harnesses may import (devDependencies)
 *   drivers    files that may import drizzle-orm, pg or PGlite ("**" for the whole package)
 *   serverOurs apps/web only: packages its server-side files may import as values
 *   builtinsOnly  sources may import node: builtins and relative paths, nothing else
 */

/** @typedef {{ ours?: string[], typesOnly?: string[], testOurs?: string[], drivers?: string[], serverOurs?: { files: string[], ours: string[] }, builtinsOnly?: boolean }} TPackageRule */

/** @type {Record<string, TPackageRule>} */
export const GRAPH = {
  // The bottom row imports nothing of ours.
  "@autoglm/optimizer": { ours: [], builtinsOnly: true }, // pure TypeScript, no runtime deps, no I/O
  "@autoglm/protocol": { ours: [] },
  // The one owner of drizzle, pg and PGlite. Beyond the design (same row): the schema types
  // `studies.spec` as protocol's TStudySpec, a type only.
  "@autoglm/db": { ours: [], typesOnly: ["@autoglm/protocol"], drivers: ["**"] },
  "@autoglm/native": { ours: [] },
  // The artifact store (a directory or an S3 bucket); its src/testing starts a real S3 server.
  "@autoglm/artifacts": { ours: [] },
  // The one logger (pino) of the server and the agent; it implements protocol's Logger type.
  "@autoglm/logging": { ours: [], typesOnly: ["@autoglm/protocol"] },

  // The middle row.
  "@autoglm/scheduler": { ours: ["@autoglm/db", "@autoglm/optimizer", "@autoglm/protocol"] },
  // Beyond the design: api → scheduler (same row). The tRPC ask/tell procedures call the
  // scheduler's ask/tell facade and optimizer pool rather than duplicating them.
  // api → logging: the tRPC context adds the caller's team and user to the request context.
  // Its tests store trial files in a real local artifact store (the api itself only reads through
  // the host's store, typed structurally in artifact-reader.ts).
  "@autoglm/api": {
    ours: ["@autoglm/db", "@autoglm/logging", "@autoglm/optimizer", "@autoglm/protocol", "@autoglm/scheduler"],
    testOurs: ["@autoglm/artifacts"],
  },
  // Only the agent loads the native trainers. Its test harness (src/testing) runs a real
  // gateway and database: scheduler and db are devDependencies.
  "@autoglm/agent": {
    ours: ["@autoglm/logging", "@autoglm/native", "@autoglm/protocol"],
    testOurs: ["@autoglm/db", "@autoglm/prometheus-scrape", "@autoglm/scheduler"],
  },
  // A client: it talks HTTP, so it takes @autoglm/api for its router's types only; its tests
  // start a real server (api, db). Beyond the design: `autoglm agent …` loads @autoglm/agent
  // (sdk → agent, same row) through a variable specifier, which no import rule can see.
  "@autoglm/sdk": {
    ours: ["@autoglm/protocol"],
    typesOnly: ["@autoglm/api"],
    testOurs: ["@autoglm/api", "@autoglm/db"],
  },

  // The apps.
  // Beyond the design: the server imports pg for the Socket.IO Postgres adapter, which takes
  // a pg.Pool of its own to hold a LISTEN connection (see cluster-adapter.ts).
  "@autoglm/server": {
    ours: [
      "@autoglm/agent",
      "@autoglm/api",
      "@autoglm/artifacts",
      "@autoglm/db",
      "@autoglm/logging",
      "@autoglm/scheduler",
      "@autoglm/web",
    ],
    testOurs: ["@autoglm/prometheus-scrape"],
    drivers: ["src/cluster-adapter.ts"],
  },
  // Browser code takes @autoglm/api's types only; the route handler and next-auth glue run on
  // the server and call it. The platform handle the server shares with them (database, event
  // bus) is typed in @autoglm/api: web may not import the server, which serves it.
  "@autoglm/web": {
    ours: ["@autoglm/protocol"],
    typesOnly: ["@autoglm/api"],
    serverOurs: { files: ["src/server/**", "src/app/api/**"], ours: ["@autoglm/api"] },
  },

  // Cross-package tests drive the whole system; e2e reaches PostgreSQL directly to NOTIFY and
  // to count connections.
  "@autoglm/tests-e2e": { ours: ["*"], drivers: ["**"] },
  "@autoglm/tests-run-loop": { ours: ["*"] },
  "@autoglm/tests-infra": { ours: ["*"] }, // runs the chart's and images' commands against the build

  "@autoglm/eslint-config": { ours: [] },
  // Test helper: reads a /metrics scrape (server, agent and chart-contract tests).
  "@autoglm/prometheus-scrape": { ours: [] },
  // The repository root: scripts/ and examples/ (the packages lint themselves).
  "open-autoglm": { ours: [] },
};

/** Files that are tests or test harnesses: they may also import `testOurs` and `@autoglm/db/testing`. */
export const TEST_FILES = ["**/*.test.{ts,tsx,js,mjs,cjs}", "tests/**", "test/**", "gpu-tests/**", "src/testing/**", "bench/**"];
