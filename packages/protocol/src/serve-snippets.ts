// Copy-paste calls of an inference endpoint, one text for the CLI, the SDK and the dashboard, so
// what a person copies is what the tests run.

export interface TServeSnippetInput {
  /** The endpoint's absolute base URL (`<server>/serve/<team>/<endpoint>`). */
  url: string;
  /** The endpoint's name (the KServe model name and the OpenAI `model`). */
  endpoint: string;
  /** The key to show; null puts `$AUTOGLM_ENDPOINT_KEY` in its place (a key is shown only once). */
  key: string | null;
  /** The protocols the endpoint speaks (`mlflow`, `kserve-v2`, `openai`). */
  protocols: readonly string[];
  /** Features per row from the model's signature; null when the registry does not know it. */
  inputWidth: number | null;
}

export interface TServeSnippet {
  id: "curl-mlflow" | "curl-kserve" | "curl-openai" | "openai-python" | "openai-ts";
  title: string;
  language: "bash" | "python" | "typescript";
  code: string;
}

/** The variable a snippet names when the key is not shown. */
export const ENDPOINT_KEY_VAR = "AUTOGLM_ENDPOINT_KEY";

/** Single-quoted for a POSIX shell: safe for any URL, key or JSON body. */
export function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'"'"'`)}'`;
}

/** One example row of the model's width: zeros are valid input for every tabular model. */
export function exampleRow(width: number | null): number[] {
  return Array.from({ length: Math.max(1, Math.min(width ?? 1, 4096)) }, () => 0);
}

function authHeader(key: string | null): string {
  return key === null ? `"Authorization: Bearer $${ENDPOINT_KEY_VAR}"` : shellQuote(`Authorization: Bearer ${key}`);
}

function curlPost(url: string, key: string | null, body: unknown): string {
  return [
    `curl -sS -X POST ${shellQuote(url)}`,
    `  -H ${authHeader(key)}`,
    `  -H 'Content-Type: application/json'`,
    `  -d ${shellQuote(JSON.stringify(body))}`,
  ].join(" \\\n");
}

/** The snippets for an endpoint's protocols: curl for each, and the OpenAI Python and TypeScript clients for language models. */
export function serveSnippets(input: TServeSnippetInput): TServeSnippet[] {
  const base = input.url.replace(/\/+$/, "");
  const row = exampleRow(input.inputWidth);
  const out: TServeSnippet[] = [];
  if (input.protocols.includes("mlflow")) {
    out.push({
      id: "curl-mlflow",
      title: "curl (MLflow /invocations)",
      language: "bash",
      code: curlPost(`${base}/invocations`, input.key, { inputs: [row] }),
    });
  }
  if (input.protocols.includes("kserve-v2")) {
    const body = { inputs: [{ name: "input", shape: [1, row.length], datatype: "FP32", data: row }] };
    out.push({
      id: "curl-kserve",
      title: "curl (KServe v2 infer)",
      language: "bash",
      code: curlPost(`${base}/v2/models/${encodeURIComponent(input.endpoint)}/infer`, input.key, body),
    });
  }
  if (input.protocols.includes("openai")) {
    const key = input.key === null ? null : JSON.stringify(input.key);
    out.push({
      id: "curl-openai",
      title: "curl (OpenAI /v1/completions)",
      language: "bash",
      code: curlPost(`${base}/v1/completions`, input.key, { model: input.endpoint, prompt: "Hello", max_tokens: 32 }),
    });
    out.push({
      id: "openai-python",
      title: "OpenAI Python client",
      language: "python",
      code: [
        "import os",
        "from openai import OpenAI",
        "",
        `client = OpenAI(base_url=${JSON.stringify(`${base}/v1`)}, api_key=${key ?? `os.environ["${ENDPOINT_KEY_VAR}"]`})`,
        `r = client.chat.completions.create(model=${JSON.stringify(input.endpoint)}, messages=[{"role": "user", "content": "Hello"}], max_tokens=32)`,
        "print(r.choices[0].message.content)",
      ].join("\n"),
    });
    out.push({
      id: "openai-ts",
      title: "OpenAI TypeScript client",
      language: "typescript",
      code: [
        'import OpenAI from "openai";',
        "",
        `const client = new OpenAI({ baseURL: ${JSON.stringify(`${base}/v1`)}, apiKey: ${key ?? `process.env.${ENDPOINT_KEY_VAR}`} });`,
        `const r = await client.chat.completions.create({ model: ${JSON.stringify(input.endpoint)}, messages: [{ role: "user", content: "Hello" }], max_tokens: 32 });`,
        "console.log(r.choices[0]?.message.content);",
      ].join("\n"),
    });
  }
  return out;
}
