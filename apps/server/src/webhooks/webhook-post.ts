import http from "node:http";
import https from "node:https";
import type { LookupFunction } from "node:net";
import {
  checkWebhookUrl,
  resolveWebhookTarget,
  WebhookTargetRefused,
  type TResolvedAddress,
  type TWebhookTargetPolicy,
} from "@autoglm/api";

export interface TWebhookPostResult {
  /** The receiver's HTTP status; null when none came (refused target, network error, timeout). */
  responseCode: number | null;
  /** From the request's start to the response's headers; null when none came. */
  latencyMs: number | null;
  /** Why it was not delivered (for the team to read: no secret, no URL); null on a 2xx. */
  error: string | null;
}

/**
 * The connection goes to the addresses checked just before, never to a fresh DNS answer: a host
 * that resolves to a public address for the check and to 169.254.169.254 a moment later (DNS
 * rebinding) cannot slip through. Node calls this with `all: true` when it races IPv4 and IPv6.
 */
function pinnedLookup(addresses: TResolvedAddress[]): LookupFunction {
  return (_hostname, options, callback) => {
    if ((options as { all?: boolean }).all) (callback as (e: null, a: TResolvedAddress[]) => void)(null, addresses);
    else callback(null, addresses[0]!.address, addresses[0]!.family);
  };
}

function errorText(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return message.slice(0, 300);
}

/**
 * One POST of a delivery: the URL and every address of its host are checked again (S9), the
 * whole exchange is bounded by `timeoutMs`, and a redirect is an answer like any other
 * non-2xx (never followed: it could point anywhere).
 */
export async function postWebhook(input: {
  url: string;
  headers: Record<string, string>;
  body: string;
  timeoutMs: number;
  policy: TWebhookTargetPolicy;
  signal: AbortSignal;
}): Promise<TWebhookPostResult> {
  let addresses: TResolvedAddress[];
  let url: URL;
  try {
    url = checkWebhookUrl(input.url, input.policy);
    addresses = await resolveWebhookTarget(url, input.policy, { timeoutMs: input.timeoutMs });
  } catch (err) {
    if (err instanceof WebhookTargetRefused)
      return { responseCode: null, latencyMs: null, error: `target refused: the URL ${err.message}` };
    throw err;
  }
  const client = url.protocol === "https:" ? https : http;
  return new Promise((resolve) => {
    const start = performance.now();
    const req = client.request(url, {
      method: "POST",
      headers: { ...input.headers, "content-length": String(Buffer.byteLength(input.body)) },
      agent: false,
      lookup: pinnedLookup(addresses),
      signal: input.signal,
    });
    // Bounds the whole exchange, the response's body included (it is read and dropped).
    const timer = setTimeout(() => req.destroy(new Error(`no response within ${input.timeoutMs} ms`)), input.timeoutMs);
    req.on("response", (res) => {
      const latencyMs = performance.now() - start;
      const code = res.statusCode ?? 0;
      res.on("end", () => clearTimeout(timer));
      res.on("error", () => clearTimeout(timer));
      res.resume();
      const isOk = code >= 200 && code < 300;
      resolve({ responseCode: code, latencyMs, error: isOk ? null : `the receiver answered HTTP ${code}` });
    });
    req.on("error", (err) => {
      clearTimeout(timer);
      resolve({ responseCode: null, latencyMs: null, error: errorText(err) });
    });
    req.end(input.body);
  });
}
