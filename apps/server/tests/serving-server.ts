import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { LocalDirStore } from "@autoglm/artifacts";
import type { DbHandle } from "@autoglm/db/client";
import { attachAgentGateway, SchedulerLoop, type AgentGateway, type RunLoopConfig, type ServingConfig } from "@autoglm/scheduler";
import { Server as SocketServer } from "socket.io";
import { AGENT_ARTIFACTS_PREFIX, createAgentArtifactUpload } from "../src/agent-artifact-upload.js";
import { createReplicaFiles, REPLICA_FILES_PREFIX } from "../src/replica-files.js";
import type { EndpointLoadSamplerOptions } from "../src/serving/endpoint-load-sampler.js";
import { createLocalEvents, type PlatformEvents } from "../src/platform.js";
import { createServeGateway, SERVE_PREFIX } from "../src/serving/serve-gateway.js";

/**
 * The server's routes that serving needs — the inference gateway, the replica file route, the
 * agents' artifact upload (request-handler.ts sends those paths to these same handlers) — with
 * the agent gateway and the scheduler loop, without the dashboard: Next's build is not under test.
 */
export interface ServingServer {
  url: string;
  artifacts: LocalDirStore;
  gateway: AgentGateway;
  /** The event bus the gateway listens on: API callers that publish here revoke as the server's do. */
  events: PlatformEvents;
  close(): Promise<void>;
}

const silentLogger = { debug() {}, info() {}, warn() {}, error() {} };

export async function startServingServer(
  db: DbHandle,
  dir: string,
  config: Partial<RunLoopConfig>,
  options: { serving?: Partial<ServingConfig>; load?: Partial<EndpointLoadSamplerOptions> } = {},
): Promise<ServingServer> {
  const artifacts = new LocalDirStore(dir);
  const events = createLocalEvents(() => {});
  const serve = createServeGateway({ db, logger: silentLogger, events, ...(options.load ? { load: options.load } : {}) });
  const files = createReplicaFiles({ db, store: artifacts });
  const upload = createAgentArtifactUpload({ db, store: artifacts });
  const http = createServer((req, res) => {
    const pathname = (req.url ?? "/").split("?")[0]!;
    if (pathname.startsWith(SERVE_PREFIX)) return void serve.handle(req, res, pathname);
    if (pathname.startsWith(REPLICA_FILES_PREFIX)) return void files(req, res, pathname);
    if (pathname.startsWith(AGENT_ARTIFACTS_PREFIX)) return void upload(req, res, pathname);
    res.writeHead(404).end();
  });
  const io = new SocketServer(http, { serveClient: false });
  const gateway = attachAgentGateway(io, {
    db,
    config,
    serverKey: "test-server-key",
    ...(options.serving ? { serving: options.serving } : {}),
  });
  const loop = new SchedulerLoop({ db, gateway, config }).start();
  serve.setSecretOf(gateway.replicaSecretOf);
  await new Promise<void>((r) => http.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${(http.address() as AddressInfo).port}`,
    artifacts,
    gateway,
    events,
    async close() {
      await loop.stop();
      await gateway.close();
      await serve.close();
      io.close();
      http.closeAllConnections();
      await new Promise((r) => http.close(r));
    },
  };
}

/** Polls `fn` every 200 ms until it gives a truthy value; throws naming `what` after `ms`. */
export async function waitFor<T>(fn: () => Promise<T | null | undefined | false>, ms: number, what: string): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
