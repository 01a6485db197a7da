#!/usr/bin/env node
import { parseArgs } from "node:util";
import { startAgent } from "./agent.js";

/**
 * `autoglm-agent --server URL --token T [--name N] [--label k=v ...] [--max-trials N]`
 * The token may come from AUTOGLM_TOKEN instead of the command line (it then stays out of
 * `ps`). SIGTERM / SIGINT hand running trials back to the server (R10) before exiting.
 */
const { values } = parseArgs({
  options: {
    server: { type: "string", default: process.env.AUTOGLM_SERVER ?? "http://127.0.0.1:3000" },
    token: { type: "string" },
    name: { type: "string" },
    label: { type: "string", multiple: true, default: [] },
    "max-trials": { type: "string" },
    "work-dir": { type: "string" },
    "heartbeat-ms": { type: "string" },
    "kill-grace-ms": { type: "string" },
    "shutdown-grace-ms": { type: "string" },
    "ack-timeout-ms": { type: "string" },
    "reconnect-max-ms": { type: "string" },
    "no-gpus": { type: "boolean", default: false },
    help: { type: "boolean", default: false },
  },
});

if (values.help) {
  console.log(`autoglm-agent --server URL --token agl_… [--name NAME] [--label key=value]… [--max-trials N]
  [--work-dir DIR] [--heartbeat-ms MS] [--kill-grace-ms MS] [--shutdown-grace-ms MS] [--reconnect-max-ms MS] [--no-gpus]
The token (scope "agent") may also be given as AUTOGLM_TOKEN.`);
  process.exit(0);
}

const token = values.token ?? process.env.AUTOGLM_TOKEN;
if (!token) {
  console.error("autoglm-agent: a token with the agent scope is required (--token or AUTOGLM_TOKEN)");
  process.exit(2);
}
const labels: Record<string, string> = {};
for (const l of values.label ?? []) {
  const i = l.indexOf("=");
  if (i <= 0) {
    console.error(`autoglm-agent: --label must be key=value (got "${l}")`);
    process.exit(2);
  }
  labels[l.slice(0, i)] = l.slice(i + 1);
}
const int = (v: string | undefined) => (v === undefined ? undefined : Number.parseInt(v, 10));

// The trial environment is built from an allowlist; drop the token from ours as well.
delete process.env.AUTOGLM_TOKEN;

const agent = await startAgent({
  server: values.server!,
  token,
  ...(values.name ? { name: values.name } : {}),
  labels,
  ...(values["max-trials"] ? { maxTrials: int(values["max-trials"]) } : {}),
  ...(values["work-dir"] ? { workDir: values["work-dir"] } : {}),
  ...(values["heartbeat-ms"] ? { heartbeatMs: int(values["heartbeat-ms"]) } : {}),
  ...(values["kill-grace-ms"] ? { killGraceMs: int(values["kill-grace-ms"]) } : {}),
  ...(values["shutdown-grace-ms"] ? { shutdownGraceMs: int(values["shutdown-grace-ms"]) } : {}),
  ...(values["ack-timeout-ms"] ? { ackTimeoutMs: int(values["ack-timeout-ms"]) } : {}),
  ...(values["reconnect-max-ms"] ? { reconnectDelayMaxMs: int(values["reconnect-max-ms"]), reconnectDelayMs: Math.min(500, int(values["reconnect-max-ms"])!) } : {}),
  ...(values["no-gpus"] ? { gpus: [] } : {}),
});

let exiting = false;
const shutdown = async (sig: string) => {
  if (exiting) return;
  exiting = true;
  console.log(`[agent] ${sig}: handing running trials back`);
  await agent.stop();
  process.exit(0);
};
process.on("SIGTERM", () => void shutdown("SIGTERM"));
process.on("SIGINT", () => void shutdown("SIGINT"));
