import { describe, expect, it } from "vitest";
import { replicaServeOf } from "./replica-serve.js";

describe("what replica:start carries of a version's own server", () => {
  it("sends the serve section a command version recorded, and nothing for other flavors", () => {
    const recorded = { command: "python3 serve.py --port {port}", health: "/ping", startup_timeout_s: 30 };
    expect(replicaServeOf("command", recorded)).toEqual({
      serve: { command: "python3 serve.py --port {port}", health: "/ping", startupTimeoutS: 30 },
    });
    expect(replicaServeOf("builtin-mlp", recorded)).toEqual({ serve: undefined });
    expect(replicaServeOf("onnx", null)).toEqual({ serve: undefined });
  });

  it("refuses a command version whose lineage records no usable serve section", () => {
    const refused = {
      refused: "UNSERVABLE_FLAVOR: this version has flavor command but its lineage records no usable serve command",
    };
    expect(replicaServeOf("command", null)).toEqual(refused);
    expect(replicaServeOf("command", { command: "", health: "/ping", startup_timeout_s: 1 })).toEqual(refused);
    expect(replicaServeOf("command", { command: "x", health: "/ping" })).toEqual(refused);
  });
});
