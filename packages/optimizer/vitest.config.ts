import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // The GP tests run a few hundred asks; on a loaded 2-core CI box that can pass 5 s.
    testTimeout: 60_000,
  },
});
