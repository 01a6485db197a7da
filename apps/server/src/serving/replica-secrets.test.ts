import { createHmac } from "node:crypto";
import { expect, it } from "vitest";
import { memoizeSecrets } from "./replica-secrets.js";

it("derives each replica's secret once, however many requests go to it, and gives the same secret", () => {
  const derived: string[] = [];
  const secretOf = memoizeSecrets((id) => {
    derived.push(id);
    return createHmac("sha256", "server-key").update(`autoglm-replica:${id}`).digest("hex");
  });
  const answers = Array.from({ length: 1_000 }, (_, i) => secretOf(i % 2 ? "replica-a" : "replica-b"));
  expect(derived).toEqual(["replica-b", "replica-a"]);
  expect(answers[1]).toBe(createHmac("sha256", "server-key").update("autoglm-replica:replica-a").digest("hex"));
  expect(new Set(answers).size).toBe(2);
});

it("keeps a bounded number of secrets: past 1,024 replicas it starts over", () => {
  let derivations = 0;
  const secretOf = memoizeSecrets((id) => {
    derivations++;
    return `s-${id}`;
  });
  for (let i = 0; i < 1_024; i++) secretOf(`r${i}`);
  secretOf("r0");
  expect(derivations).toBe(1_024);
  secretOf("r1024"); // the memo is full: it starts over with this one
  secretOf("r0");
  expect(derivations).toBe(1_026);
  expect(secretOf("r1024")).toBe("s-r1024");
  expect(derivations).toBe(1_026);
});
