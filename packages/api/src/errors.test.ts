import { describe, expect, it } from "vitest";
import { SchedulerError } from "@autoglm/scheduler";
import { OptimizerError } from "@autoglm/optimizer";
import { AppError, APP_CODES, sanitizeError, toAppError } from "./errors.js";
import { describeZodIssues } from "./trpc.js";

describe("AppError mapping (one place)", () => {
  it("maps every app code to a tRPC code; only INTERNAL is a 500", () => {
    for (const [code, trpc] of Object.entries(APP_CODES)) {
      expect(new AppError(code as keyof typeof APP_CODES, { userMessage: "x" }).code).toBe(trpc);
      if (code !== "INTERNAL") expect(trpc).not.toBe("INTERNAL_SERVER_ERROR");
    }
  });

  it("maps scheduler, optimizer and Postgres errors to typed 4xx", () => {
    expect(toAppError(new SchedulerError("MAX_PARALLEL_REACHED", "busy"))).toMatchObject({
      code: "PRECONDITION_FAILED",
      userMessage: "busy",
    });
    expect(toAppError(new SchedulerError("NOT_FOUND", "Study not found."))).toMatchObject({ code: "NOT_FOUND" });
    expect(toAppError(new OptimizerError("INVALID_SPACE", "space.x: bad"))).toMatchObject({
      code: "BAD_REQUEST",
      appCode: "INVALID_SPEC",
    });
    expect(toAppError(Object.assign(new Error("dup"), { code: "23505" }))).toMatchObject({ code: "CONFLICT" });
    expect(toAppError(new Error("wrapped", { cause: Object.assign(new Error("nul"), { code: "22021" }) }))).toMatchObject({
      code: "BAD_REQUEST",
    });
    expect(toAppError(new Error("boom"))).toBeNull();
  });

  it("sanitizes what may be logged: no query params", () => {
    const e = new Error("Failed query: insert into users values ($1, $2)\nparams: a@x.test,$argon2id$v=19$secret");
    expect(sanitizeError(e).message).toBe("Failed query: insert into users values ($1, $2)");
  });

  it("zod issues become one sentence naming the field; spec paths read like the YAML", () => {
    expect(describeZodIssues([{ path: ["spec", "space", "lr", "low"], message: "must be > 0 when log is true" }])).toBe(
      "space.lr.low: must be > 0 when log is true",
    );
    expect(
      describeZodIssues([
        { path: ["name"], message: "is required" },
        { path: ["step"], message: "must be >= 0" },
      ]),
    ).toBe("name: is required; step: must be >= 0");
  });
});
