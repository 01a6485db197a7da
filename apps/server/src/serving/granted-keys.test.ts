import type { TInferenceAccess } from "@autoglm/db/queries";
import { expect, it } from "vitest";
import { GrantedKeys } from "./granted-keys.js";

const grant = (expiresAtMs: number | null = null): Extract<TInferenceAccess, { ok: true }> => ({
  ok: true,
  endpointId: "ep",
  orgId: "org",
  tokenId: "tok",
  expiresAtMs,
});

it("trusts a grant for the TTL and asks again for it once, beside the requests, after half of it", () => {
  const keys = new GrantedKeys(1_000);
  keys.remember("k", grant(), 0, keys.beginCheck());
  expect([keys.get("k", 400) !== null, keys.claimRecheck("k", 400)]).toEqual([true, false]);
  // Half-expired: one re-check is claimed, the next requests neither wait nor start another.
  expect([keys.claimRecheck("k", 600), keys.claimRecheck("k", 700), keys.get("k", 700) !== null]).toEqual([true, false, true]);
  // The database said yes again at 750: trusted until 1,750, not past it.
  keys.remember("k", grant(), 750, keys.beginCheck());
  expect([keys.get("k", 1_700) !== null, keys.get("k", 1_760)]).toEqual([true, null]);
});

it("does not remember a check that was running when a revocation came: it may have read the database from before it", () => {
  const keys = new GrantedKeys(1_000);
  const began = keys.beginCheck();
  keys.forgetAll(); // an `access:revoked` while the statement ran
  keys.remember("k", grant(), 10, began);
  expect(keys.get("k", 20)).toBeNull();
  keys.remember("k", grant(), 30, keys.beginCheck());
  expect(keys.get("k", 40)).not.toBeNull();
});

it("forgets a grant the re-check refused, and never trusts one past the key's own expiry", () => {
  const keys = new GrantedKeys(1_000);
  keys.remember("k", grant(), 0, keys.beginCheck());
  keys.forget("k");
  expect(keys.get("k", 1)).toBeNull();
  keys.remember("short", grant(300), 0, keys.beginCheck());
  expect([keys.get("short", 299) !== null, keys.get("short", 300)]).toEqual([true, null]);
});
