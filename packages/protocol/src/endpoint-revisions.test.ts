import { describe, expect, it } from "vitest";
import { revisionCause } from "./endpoint-revisions.js";

describe("revisionCause", () => {
  it("says in words what moved the endpoint", () => {
    expect(revisionCause("alias")).toBe("alias moved");
    expect(revisionCause("deploy")).toBe("Deploy best");
    expect(revisionCause("create")).toBe("endpoint created");
  });

  it("passes an unknown cause through as recorded", () => {
    expect(revisionCause("rollback")).toBe("rollback");
  });
});
