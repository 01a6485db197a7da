import { describe, expect, it } from "vitest";
import { cachedRead } from "../src/metrics/cached-read.js";

/** The database gauges are read through this: however often Prometheus scrapes, one query per TTL. */
describe("cachedRead", () => {
  it("shares one read among scrapes within the TTL, reads again after it, and does not keep a failure", async () => {
    let now = 0;
    let reads = 0;
    let fail = false;
    const read = cachedRead(
      async () => {
        reads++;
        if (fail) throw new Error("database down");
        return reads;
      },
      5_000,
      () => now,
    );
    expect(await Promise.all([read(), read(), read()])).toEqual([1, 1, 1]);
    now = 4_999;
    expect(await read()).toBe(1);
    expect(reads).toBe(1);
    now = 5_000;
    expect(await read()).toBe(2);
    fail = true;
    now = 10_000;
    await expect(read()).rejects.toThrow("database down");
    fail = false;
    expect(await read()).toBe(4);
  });
});
