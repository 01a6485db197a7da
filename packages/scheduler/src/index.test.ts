import { describe, expect, it } from "vitest";
import * as testing from "./agent-fixtures.js";
import * as agents from "./index-agents.js";
import * as main from "./index.js";

describe("the production entry points", () => {
  it("export no test seeding code (that is @autoglm/scheduler/testing)", () => {
    const seeding = Object.keys(testing);
    expect(seeding).toContain("seedTeam");
    for (const entry of [main, agents]) expect(Object.keys(entry).filter((k) => seeding.includes(k))).toEqual([]);
  });
});
