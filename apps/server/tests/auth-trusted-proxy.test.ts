/**
 * S6 over real HTTP behind a trusted proxy (TRUSTED_PROXIES=loopback: the test client is the
 * "proxy" and names each client in X-Forwarded-For): a victim signs in while an attacker's
 * address is locked out of the account, and sign-up answers alike for taken emails and is
 * limited per client address.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ClientAt,
  newAccount,
  PASSWORD,
  signInStatuses,
  startPlatform,
  stopPlatform,
  wrong,
  type Platform,
} from "./auth-helpers.js";

describe("behind a trusted proxy (TRUSTED_PROXIES=loopback)", () => {
  let p: Platform;
  beforeAll(async () => {
    p = await startPlatform({ TRUSTED_PROXIES: "loopback" });
  }, 120_000);
  afterAll(() => stopPlatform(p));

  it("a victim signs in from their own address while an attacker's address hammers the account", async () => {
    const { email } = await newAccount(p.server.url, "victim", "203.0.113.10");
    const attacker = new ClientAt(p.server.url, "198.51.100.66");
    const statuses = await signInStatuses(attacker, email, wrong(15, "a"));
    expect(statuses.slice(0, 10).every((s) => s === 401)).toBe(true);
    expect(statuses.slice(10)).toEqual([429, 429, 429, 429, 429]);
    // Even the right password from the attacker's address is refused: no oracle.
    expect(await signInStatuses(attacker, email, [PASSWORD])).toEqual([429]);
    const victim = new ClientAt(p.server.url, "203.0.113.10");
    expect(await signInStatuses(victim, email, [PASSWORD])).toEqual([200]);
    expect((await victim.trpc("auth.me", undefined, { query: true })).status).toBe(200);
  });

  it("honours X-Forwarded-For: each forwarded address is its own client", async () => {
    const { email } = await newAccount(p.server.url, "xff-honoured");
    // Ten addresses fail once each; the 11th fresh address still gets its one try.
    for (let i = 0; i < 10; i++) {
      expect(await signInStatuses(new ClientAt(p.server.url, `192.0.2.${i + 1}`), email, wrong(1, `h${i}`))).toEqual([401]);
    }
    expect(await signInStatuses(new ClientAt(p.server.url, "192.0.2.1"), email, wrong(1, "again"))).toEqual([429]);
    expect(await signInStatuses(new ClientAt(p.server.url, "192.0.2.200"), email, [PASSWORD])).toEqual([200]);
  });

  it("sign-up answers alike for a taken email and is limited per client address", async () => {
    const { email } = await newAccount(p.server.url, "taken", "203.0.113.90");
    const stranger = new ClientAt(p.server.url, "198.51.100.90");
    const taken = await stranger.trpc("auth.signUp", { email, password: "another password", name: "Mallory" });
    const fresh = await stranger.trpc("auth.signUp", {
      email: `fresh-${Date.now()}@example.com`,
      password: "another password",
      name: "Fresh",
    });
    expect(taken).toEqual(fresh);
    expect(taken).toEqual({ status: 200, body: { result: { data: { ok: true } } } });
    // The owner's password still works; the stranger's does not.
    expect(await signInStatuses(new ClientAt(p.server.url, "203.0.113.91"), email, [PASSWORD])).toEqual([200]);
    expect(await signInStatuses(stranger, email, ["another password"])).toEqual([401]);
    // 20 sign-ups an hour per address: the stranger has used 2.
    const statuses: number[] = [];
    for (let i = 0; i < 19; i++) {
      statuses.push(
        (
          await stranger.trpc("auth.signUp", {
            email: `many-${i}-${Date.now()}@example.com`,
            password: "many password",
            name: "M",
          })
        ).status,
      );
    }
    expect(statuses.slice(0, 18).every((s) => s === 200)).toBe(true);
    expect(statuses[18]).toBe(429);
    const elsewhere = new ClientAt(p.server.url, "198.51.100.91");
    expect(
      (await elsewhere.trpc("auth.signUp", { email: `other-${Date.now()}@example.com`, password: "other password", name: "O" }))
        .status,
    ).toBe(200);
  });
});
