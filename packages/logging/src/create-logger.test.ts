import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { createLogger, type TLogFormat } from "./create-logger.js";
import { annotateRequestContext, requestIdFrom, traceIdFrom, withRequestContext } from "./request-context.js";

// The shape `generateApiToken` makes: agl_ + 32 random + 6 checksum characters.
const TOKEN = "agl_Zx9Qw3Er5Ty7Ui9Op1As3Df5Gh7Jk9L0mN2bV";

function captured(format: TLogFormat = "json", level: "debug" | "info" = "info") {
  let text = "";
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      text += chunk.toString("utf8");
      done();
    },
  });
  const logger = createLogger({ name: "test", format, level, destination });
  return {
    logger,
    text: () => text,
    lines: () =>
      text
        .split("\n")
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

describe("createLogger (json)", () => {
  it("writes one JSON object a line with level, time, name, message and fields", () => {
    const out = captured();
    out.logger.info("trial started", { trialId: "t1", attempt: 2 });
    out.logger.debug("not at info");
    const [line, ...rest] = out.lines();
    expect(rest).toEqual([]);
    expect(line).toMatchObject({ level: 30, name: "test", msg: "trial started", trialId: "t1", attempt: 2 });
    expect(typeof line!.time).toBe("number");
  });

  it("stamps the request context on every line, including ids added part-way", async () => {
    const out = captured();
    await withRequestContext({ requestId: "req-1", trace_id: "4bf92f3577b34da6a3ce929d0e0e4736" }, async () => {
      out.logger.info("before");
      await new Promise((r) => setTimeout(r, 1));
      annotateRequestContext({ userId: "u1", teamId: "team1" });
      out.logger.warn("after");
    });
    out.logger.info("outside");
    const [before, after, outside] = out.lines();
    expect(before).toMatchObject({ requestId: "req-1", trace_id: "4bf92f3577b34da6a3ce929d0e0e4736" });
    expect(before!.userId).toBeUndefined();
    expect(after).toMatchObject({ requestId: "req-1", userId: "u1", teamId: "team1" });
    expect(outside!.requestId).toBeUndefined();
  });

  it("censors authorization, token, password, cookie and secret fields at any depth (S10)", () => {
    const out = captured();
    out.logger.info("request", {
      authorization: `Bearer ${TOKEN}`,
      password: "hunter2-correct-horse",
      headers: { cookie: "next-auth.session-token=abc", authorization: "Basic dXNlcjpwYXNz" },
      body: { user: { password: "hunter2-correct-horse", token: "opaque-value-1234" } },
      secret: "s3cr3t-value",
    });
    const text = out.text();
    for (const secret of [
      TOKEN,
      "hunter2-correct-horse",
      "session-token=abc",
      "dXNlcjpwYXNz",
      "opaque-value-1234",
      "s3cr3t-value",
    ]) {
      expect(text).not.toContain(secret);
    }
    const [line] = out.lines();
    expect(line).toMatchObject({
      authorization: "[REDACTED]",
      password: "[REDACTED]",
      body: { user: { password: "[REDACTED]" } },
    });
  });

  it("cuts token-shaped text, Bearer credentials and URL passwords out of messages and string fields (S10)", () => {
    const out = captured();
    out.logger.error(`token ${TOKEN} refused`, {
      error: `Error: bad token ${TOKEN}`,
      nested: { list: [`x ${TOKEN}`] },
      header: `Authorization: Bearer opaque-credential-99`,
      url: "postgres://app:pa55w0rd-long@db:5432/autoglm",
      cause: new Error(`wrapped ${TOKEN}`),
    });
    const text = out.text();
    expect(text).not.toContain(TOKEN.slice(4));
    expect(text).not.toContain("opaque-credential-99");
    expect(text).not.toContain("pa55w0rd-long");
    const [line] = out.lines();
    expect(line!.msg).toBe("token agl_[REDACTED] refused");
    expect(line!.url).toBe("postgres://app:[REDACTED]@db:5432/autoglm");
    expect(line!.cause).toEqual({ type: "Error", message: "wrapped agl_[REDACTED]" });
  });

  it("children carry their fields, scrubbed", () => {
    const out = captured();
    out.logger.child({ agentId: "a1", note: TOKEN }).info("registered");
    expect(out.lines()[0]).toMatchObject({ agentId: "a1", note: "agl_[REDACTED]", msg: "registered" });
  });
});

describe("createLogger (pretty)", () => {
  it("writes one readable line per event with the message and fields, secrets cut", () => {
    const out = captured("pretty");
    out.logger.info("trial started", { trialId: "t1", token: TOKEN });
    const text = out.text();
    expect(text.trim().split("\n")).toHaveLength(1);
    expect(text).toMatch(/INFO.*\(test\): trial started/);
    expect(text).toContain('"trialId":"t1"');
    expect(text).not.toContain(TOKEN);
  });
});

describe("request ids and trace context", () => {
  it("keeps a sane incoming x-request-id and replaces anything else", () => {
    expect(requestIdFrom("test-123")).toBe("test-123");
    expect(requestIdFrom(["abc.DEF_9"])).toBe("abc.DEF_9");
    for (const bad of ["", "a b", "x".repeat(65), "id\nforged-line", "<script>", undefined, null]) {
      const id = requestIdFrom(bad);
      expect(id).not.toBe(bad);
      expect(id).toMatch(/^[0-9a-f-]{36}$/);
    }
  });

  it("reads the trace id of a valid W3C traceparent only", () => {
    expect(traceIdFrom("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")).toBe("4bf92f3577b34da6a3ce929d0e0e4736");
    expect(traceIdFrom("00-00000000000000000000000000000000-00f067aa0ba902b7-01")).toBeUndefined();
    expect(traceIdFrom("00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01")).toBeUndefined();
    expect(traceIdFrom("garbage")).toBeUndefined();
    expect(traceIdFrom(undefined)).toBeUndefined();
  });
});
