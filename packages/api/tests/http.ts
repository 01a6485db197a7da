import http from "node:http";
import type { AddressInfo } from "node:net";
import { createStandaloneHandler, type TApiDeps } from "../src/index.js";

/** The real router on a real socket (the standalone adapter), torn down by `close`. */
export async function startServer(deps: TApiDeps): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer(createStandaloneHandler(deps));
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

export interface TWireResult {
  status: number;
  body: {
    result?: { data: unknown };
    error?: {
      message: string;
      code: number;
      data: { code: string; httpStatus: number; appCode: string; userMessage: string; stack?: string };
    };
  };
}

export async function post(
  url: string,
  path: string,
  input: unknown,
  headers: Record<string, string> = {},
): Promise<TWireResult> {
  const res = await fetch(`${url}/${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: input === undefined ? "" : JSON.stringify(input),
  });
  return { status: res.status, body: (await res.json()) as TWireResult["body"] };
}

export async function get(url: string, path: string, input: unknown, headers: Record<string, string> = {}): Promise<TWireResult> {
  const q = input === undefined ? "" : `?input=${encodeURIComponent(JSON.stringify(input))}`;
  const res = await fetch(`${url}/${path}${q}`, { headers });
  return { status: res.status, body: (await res.json()) as TWireResult["body"] };
}
