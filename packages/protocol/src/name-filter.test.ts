import { describe, expect, it } from "vitest";
import { nameMatches } from "./name-filter.js";

describe("nameMatches", () => {
  it("finds every word anywhere in the name, ignoring case and order", () => {
    expect(nameMatches("resnet-LR-sweep-3", "lr sweep")).toBe(true);
    expect(nameMatches("resnet-LR-sweep-3", "sweep resnet")).toBe(true);
    expect(nameMatches("resnet-LR-sweep-3", "  Sweep  ")).toBe(true);
  });

  it("refuses a name missing any word", () => {
    expect(nameMatches("resnet-LR-sweep-3", "lr vit")).toBe(false);
    expect(nameMatches("branin", "branin-demo")).toBe(false);
  });

  it("matches everything with an empty query", () => {
    expect(nameMatches("anything", "")).toBe(true);
    expect(nameMatches("anything", "   ")).toBe(true);
  });
});
