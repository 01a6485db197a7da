import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["src/**/*.test.ts"],
    // The 200 MB uploads take seconds; the first run installs the S3 test server (about a minute).
    testTimeout: 120_000,
    hookTimeout: 300_000,
    pool: "forks",
    // global.gc() before the RSS baseline of the streaming test.
    poolOptions: { forks: { execArgv: ["--expose-gc"] } },
  },
});
