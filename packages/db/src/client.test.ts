import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { organizations, users } from "./schema.js";
import { createTestDb, type TestDb } from "./testing.js";

let t: TestDb;
beforeAll(async () => {
  t = await createTestDb();
});
afterAll(async () => {
  await t.drop();
});

describe(`migrated database (${process.env.DATABASE_URL ? "postgres" : "pglite"})`, () => {
  it("stores and reads rows through drizzle", async () => {
    const [org] = await t.db.insert(organizations).values({ name: "Acme", slug: "acme" }).returning();
    expect(org?.slug).toBe("acme");
    const rows = await t.db.select().from(organizations).where(eq(organizations.slug, "acme"));
    expect(rows).toHaveLength(1);
  });

  it("enforces case-insensitive unique emails", async () => {
    await t.db.insert(users).values({ email: "Ada@example.com", name: "Ada", passwordHash: "x" });
    await expect(t.db.insert(users).values({ email: "ada@EXAMPLE.com", name: "Ada 2", passwordHash: "y" })).rejects.toThrow();
  });

  it("runs raw SQL with parameters", async () => {
    const rows = await t.query<{ n: number }>("SELECT $1::int + 1 AS n", [41]);
    expect(rows[0]?.n).toBe(42);
  });

  it("runs a named statement again with new parameters (prepared once per connection on PostgreSQL)", async () => {
    const one = await createTestDb({ poolSize: 1 });
    try {
      const text = "SELECT $1::int * 2 AS n";
      expect((await one.query<{ n: number }>(text, [2], "double"))[0]?.n).toBe(4);
      expect((await one.query<{ n: number }>(text, [21], "double"))[0]?.n).toBe(42);
      if (one.driver === "pg") {
        const prepared = await one.query<{ name: string }>("SELECT name FROM pg_prepared_statements");
        expect(prepared.map((r) => r.name)).toEqual(["double"]);
      }
    } finally {
      await one.drop();
    }
  });
});
