import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { serveSnippets, shellQuote } from "./serve-snippets.js";

describe("serveSnippets", () => {
  it("gives MLflow and KServe curl lines with a row of the model's width", () => {
    const s = serveSnippets({
      url: "http://h:3000/serve/acme/digits/",
      endpoint: "digits",
      key: "agl_abc",
      protocols: ["mlflow", "kserve-v2"],
      inputWidth: 64,
    });
    expect(s.map((x) => x.id)).toEqual(["curl-mlflow", "curl-kserve"]);
    expect(s[0]!.code).toContain("'http://h:3000/serve/acme/digits/invocations'");
    expect(s[0]!.code).toContain("'Authorization: Bearer agl_abc'");
    const body = JSON.parse(/-d '(.*)'$/m.exec(s[0]!.code)![1]!) as { inputs: number[][] };
    expect(body.inputs[0]).toHaveLength(64);
    expect(s[1]!.code).toContain("/v2/models/digits/infer");
    expect(s[1]!.code).toContain('"shape":[1,64]');
  });

  it("names the key variable when the key is not shown, and gives the OpenAI clients for language models", () => {
    const s = serveSnippets({
      url: "http://h/serve/t/chat",
      endpoint: "chat",
      key: null,
      protocols: ["openai"],
      inputWidth: null,
    });
    expect(s.map((x) => x.id)).toEqual(["curl-openai", "openai-python", "openai-ts"]);
    expect(s[0]!.code).toContain("'http://h/serve/t/chat/v1/completions'");
    expect(s[0]!.code).toContain('"Authorization: Bearer $AUTOGLM_ENDPOINT_KEY"');
    expect(JSON.parse(/-d '(.*)'$/m.exec(s[0]!.code)![1]!)).toEqual({ model: "chat", prompt: "Hello", max_tokens: 32 });
    expect(s[1]!.code).toContain('base_url="http://h/serve/t/chat/v1"');
    expect(s[1]!.code).toContain('os.environ["AUTOGLM_ENDPOINT_KEY"]');
    expect(s[2]!.code).toContain("process.env.AUTOGLM_ENDPOINT_KEY");
  });

  it("quotes for a shell whatever the text holds", () => {
    const text = `it's "$HOME" \`x\``;
    expect(execFileSync("sh", ["-c", `printf %s ${shellQuote(text)}`]).toString()).toBe(text);
  });
});
