import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // One browser, one server: files run one after another.
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 180_000,
  },
});
