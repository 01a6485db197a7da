import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["src/**/*.test.ts"],
    // Servers and agents are real processes, and the first run may build helm (go install):
    // generous limits on 2 shared cores.
    testTimeout: 240_000,
    hookTimeout: 900_000,
    pool: "forks",
    fileParallelism: false,
  },
});
