import { createServer, type RequestListener, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { startCommandReplica } from "./command-replica.js";
import { createReplicaHandler, type ReplicaState } from "./replica-http.js";
import type { ReplicaChildConfig, ReplicaChildDrain, ReplicaChildReport } from "./replica-messages.js";
import { loadServedModel } from "./model-loader.js";
import type { TeamServer } from "./team-server.js";

/**
 * A serving replica's process (started by replica-process.ts with an IPC channel): load the
 * model, answer one warm-up inference, listen on an ephemeral port, report it. A crash here
 * ends only this replica; the agent restarts it.
 */

const state: ReplicaState = { draining: false, inFlight: 0 };
let server: Server | null = null;
/** Flavor `command`: the team's server, stopped after the drain and killed if this process exits first. */
let team: TeamServer | null = null;
let teamStopGraceMs = 0;

function report(msg: ReplicaChildReport): void {
  process.send?.(msg);
}

async function handlerFor(config: ReplicaChildConfig): Promise<RequestListener> {
  const id = { endpoint: config.endpoint, model: config.model, version: config.version, secret: config.secret };
  if (config.flavor === "command") {
    const started = await startCommandReplica(config, id, state);
    team = started.team;
    teamStopGraceMs = config.command?.stopGraceMs ?? 0;
    return started.handler;
  }
  const model = await loadServedModel(config.flavor, config.modelDir, { gpus: config.gpus });
  // Readiness means one inference answered: the weights are usable, the thread pool is warm.
  await model.warmUp();
  return createReplicaHandler(model, id, state);
}

async function serve(config: ReplicaChildConfig): Promise<void> {
  const handler = await handlerFor(config);
  server = createServer({ keepAlive: true }, handler);
  // The gateway keeps connections open; undici's pool reuses them for up to its own 4 s idle
  // timeout, so the replica's must be longer or a reused socket can close under a request.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  try {
    await listen(server, config.port, config.host);
  } catch (err) {
    if (config.port === 0 || (err as NodeJS.ErrnoException).code !== "EADDRINUSE") throw err;
    await listen(server, 0, config.host);
  }
  report({ type: "listening", port: (server.address() as AddressInfo).port });
}

function listen(s: Server, port: number, host: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    s.once("error", reject);
    s.listen(port, host, () => {
      s.off("error", reject);
      resolve();
    });
  });
}

/** Refuse new requests (503 + Retry-After), close idle connections, wait for in-flight ones up to the grace, exit. */
async function drain({ graceMs }: ReplicaChildDrain): Promise<never> {
  state.draining = true;
  server?.close();
  server?.closeIdleConnections();
  const deadline = Date.now() + graceMs;
  while (state.inFlight > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  await team?.stop(teamStopGraceMs);
  process.exit(0);
}

process.on("message", (msg: ReplicaChildConfig | ReplicaChildDrain) => {
  if (msg.type === "config")
    serve(msg).catch((err: unknown) => {
      report({ type: "failed", reason: err instanceof Error ? err.message : String(err) });
      process.exitCode = 1;
      setTimeout(() => process.exit(1), 100);
    });
  else if (msg.type === "drain") void drain(msg);
});
// The agent is gone (killed, crashed): nobody renews this replica's lease, so stop serving.
process.on("disconnect", () => process.exit(0));
// However this process ends, the team's server does not outlive it (its port would be served by nobody's replica).
process.on("exit", () => team?.killNow());
