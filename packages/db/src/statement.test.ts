import { describe, expect, it } from "vitest";
import { describeStatement } from "./statement.js";

describe("describeStatement", () => {
  it("names the verb and the first table, nothing else of the statement", () => {
    expect(describeStatement(`select "id", "email" from "users" where "users"."email" = $1`)).toBe("select users");
    expect(describeStatement(`insert into "api_tokens" ("id", "token_hash") values ($1, $2)`)).toBe("insert api_tokens");
    expect(describeStatement(`UPDATE trials SET state = 'running' WHERE id = $1`)).toBe("update trials");
    expect(describeStatement("with picked as (select id from trials for update skip locked) update trials set x = 1")).toBe(
      "with trials",
    );
    expect(describeStatement("select 1")).toBe("select");
    expect(describeStatement("  ")).toBe("statement");
    expect(describeStatement("select 'agl_secretliteral' as x")).toBe("select");
  });
});
