import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["src/**/*.test.ts", "tests/**/*.test.ts"],
    globalSetup: ["tests/global-setup.ts"],
    // The CLI tests spawn ~40 node processes against one server; on 2 shared cores that
    // takes ~15 s, so give each test room.
    testTimeout: 120_000,
    hookTimeout: 60_000,
    // One server + database per file; files in parallel would fight for the 2 cores.
    fileParallelism: false,
  },
});
