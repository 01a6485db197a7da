import type { DbHandle } from "@autoglm/db/client";
import { createTestDb, type TestDb } from "@autoglm/db/testing";
import { hashApiToken } from "@autoglm/protocol/api-token";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seedTeam, seedTokenRow, type TeamFixture } from "./agent-fixtures.js";
import { createDbTokenVerifier } from "./agent-token.js";

let db: TestDb;
let team: TeamFixture;

beforeAll(async () => {
  db = await createTestDb();
  team = await seedTeam(db, "agent-token");
}, 60_000);
afterAll(async () => {
  await db.drop();
});

/** The token with one character of its random part changed: same shape, wrong checksum. */
function typoOf(token: string): string {
  return token.slice(0, 10) + (token[10] === "a" ? "b" : "a") + token.slice(11);
}

describe("the agent handshake's token check", () => {
  it("accepts a live agent token and names its team", async () => {
    const { token, tokenId } = await seedTokenRow(db, team);
    expect(await createDbTokenVerifier(db)(token)).toEqual({
      orgId: team.orgId,
      tokenId,
      userId: team.userId,
      projectId: null,
    });
  });

  it("refuses a token whose checksum does not match, with 0 database queries", async () => {
    const { token } = await seedTokenRow(db, team);
    let queries = 0;
    const trap = new Proxy({} as DbHandle, {
      get() {
        queries++;
        throw new Error("the database was touched");
      },
    });
    expect(await createDbTokenVerifier(trap)(typoOf(token))).toBeNull();
    expect(await createDbTokenVerifier(trap)("agl_not-a-real-token-0000000000000")).toBeNull();
    expect(queries).toBe(0);
  });

  it("refuses a bad checksum even where a stored hash would match it (the check is the api's)", async () => {
    const { token, tokenId } = await seedTokenRow(db, team);
    const typo = typoOf(token);
    await db.query(`UPDATE api_tokens SET token_hash = $1 WHERE id = $2`, [hashApiToken(typo), tokenId]);
    expect(await createDbTokenVerifier(db)(typo)).toBeNull();
  });
});
