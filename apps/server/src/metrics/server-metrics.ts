import type { IncomingMessage, ServerResponse } from "node:http";
import type { TProcedureCall } from "@autoglm/api";
import type { DbHandle } from "@autoglm/db/client";
import { readPlatformGauges, type TPlatformGauges } from "@autoglm/db/queries";
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import type { Server as SocketIOServer } from "socket.io";
import { cachedRead } from "./cached-read.js";
import { methodClassOf, routeClassOf } from "./http-route.js";

/** Every state a trial can be in: each is exported, 0 included, so a panel never shows "no data" for one. */
const TRIAL_STATES = ["waiting", "running", "complete", "pruned", "failed"] as const;

/**
 * 5 ms … 10 s. The p99 alert is at 0.5 s; bench:scheduler measured the lease p99 at 83-105 ms
 * with 200 agents, so the buckets around it are dense.
 */
const LEASE_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export interface ServerMetricsDeps {
  db: DbHandle;
  /** An agent counts as online when heard from within this (the Agents page's rule). */
  agentStaleAfterMs: number;
  /** How long the database gauges are kept between scrapes (ms). */
  gaugeTtlMs?: number;
  log: (line: string) => void;
}

export interface ServerMetrics {
  registry: Registry;
  /** Counts the request and times it when its response ends. */
  trackRequest(req: IncomingMessage, res: ServerResponse): void;
  /** The api's hook after every tRPC call. */
  onProcedure(call: TProcedureCall): void;
  /** The scheduler's hook for each lease granted. */
  onLeaseGranted(latencyMs: number): void;
  /** The artifact retention sweep deleted `files` files of `bytes` bytes. */
  onArtifactsExpired(files: number, bytes: number): void;
  /** Socket.IO connections per namespace, read at scrape time. */
  watchSocketIo(io: SocketIOServer): void;
}

/**
 * One registry per server (tests start several servers in one process; the global default
 * registry would collide). Series carry bounded labels only: route classes, procedure paths of
 * the router, codes, states and team slugs; never user, trial or token ids.
 */
export function createServerMetrics(deps: ServerMetricsDeps): ServerMetrics {
  const registry = new Registry();
  // Process, heap, GC and event-loop lag (nodejs_eventloop_lag_seconds).
  collectDefaultMetrics({ register: registry });
  const http = httpSeries(registry);
  const trpc = trpcSeries(registry);
  const leases = leaseSeries(registry);
  const retention = retentionSeries(registry);
  databaseGauges(registry, deps);
  let io: SocketIOServer | undefined;
  new Gauge({
    name: "autoglm_socketio_connections",
    help: "Socket.IO connections open on this server, per namespace ('/' the dashboard, '/agents' the agents).",
    labelNames: ["namespace"] as const,
    registers: [registry],
    collect() {
      // `_nsps` is Socket.IO's public map of namespaces; only the two we create exist.
      for (const [name, nsp] of io?._nsps ?? []) this.set({ namespace: name }, nsp.sockets.size);
    },
  });
  return {
    registry,
    trackRequest(req, res) {
      const start = performance.now();
      const route = routeClassOf((req.url ?? "/").split("?")[0] ?? "/");
      const method = methodClassOf(req.method);
      res.once("close", () => {
        const labels = { method, route, status: String(res.statusCode) };
        http.count.inc(labels);
        http.duration.observe(labels, (performance.now() - start) / 1000);
      });
    },
    onProcedure(call) {
      trpc.count.inc({ procedure: call.path, type: call.type, code: call.code });
      trpc.duration.observe({ procedure: call.path, type: call.type }, call.durationMs / 1000);
    },
    onLeaseGranted(latencyMs) {
      leases.granted.inc();
      leases.latency.observe(latencyMs / 1000);
    },
    onArtifactsExpired(files, bytes) {
      retention.files.inc(files);
      retention.bytes.inc(bytes);
    },
    watchSocketIo(server) {
      io = server;
    },
  };
}

function httpSeries(registry: Registry) {
  return {
    count: new Counter({
      name: "autoglm_http_requests_total",
      help: "HTTP requests answered, by method, route class and status.",
      labelNames: ["method", "route", "status"] as const,
      registers: [registry],
    }),
    duration: new Histogram({
      name: "autoglm_http_request_duration_seconds",
      help: "Time from a request's arrival to its response's end, by method, route class and status.",
      labelNames: ["method", "route", "status"] as const,
      registers: [registry],
    }),
  };
}

function trpcSeries(registry: Registry) {
  return {
    count: new Counter({
      name: "autoglm_trpc_requests_total",
      help: "tRPC procedure calls, by procedure, type and tRPC code (OK on success).",
      labelNames: ["procedure", "type", "code"] as const,
      registers: [registry],
    }),
    duration: new Histogram({
      name: "autoglm_trpc_request_duration_seconds",
      help: "Time spent in a tRPC procedure (its middlewares included), by procedure and type.",
      labelNames: ["procedure", "type"] as const,
      registers: [registry],
    }),
  };
}

function leaseSeries(registry: Registry) {
  return {
    granted: new Counter({
      name: "autoglm_leases_granted_total",
      help: "Trial leases granted to this server's agents.",
      registers: [registry],
    }),
    latency: new Histogram({
      name: "autoglm_lease_latency_seconds",
      help: "From an agent's offer (it has a free slot) to its lease being sent.",
      buckets: LEASE_BUCKETS,
      registers: [registry],
    }),
  };
}

function retentionSeries(registry: Registry) {
  return {
    files: new Counter({
      name: "autoglm_artifacts_expired_files_total",
      help: "Trial artifact files deleted by the retention sweep (ARTIFACT_RETENTION_DAYS) on this server.",
      registers: [registry],
    }),
    bytes: new Counter({
      name: "autoglm_artifacts_expired_bytes_total",
      help: "Bytes of trial artifacts freed by the retention sweep (ARTIFACT_RETENTION_DAYS) on this server.",
      registers: [registry],
    }),
  };
}

/** Trials by state, waiting trials and online agents per team: one cached grouped query per scrape window. */
function databaseGauges(registry: Registry, deps: ServerMetricsDeps): void {
  // A failed read is kept like a good one (logged once, retried after the TTL); the gauges are
  // then empty (absent, not stale).
  const current = cachedRead(
    () =>
      readPlatformGauges(deps.db, { staleAfterMs: deps.agentStaleAfterMs }).catch((err: unknown): TPlatformGauges | null => {
        deps.log(`metrics: reading the trial and agent counts failed: ${err instanceof Error ? err.message : String(err)}`);
        return null;
      }),
    deps.gaugeTtlMs ?? 5_000,
  );
  new Gauge({
    name: "autoglm_trials",
    help: "Trials of every team by state.",
    labelNames: ["state"] as const,
    registers: [registry],
    async collect() {
      const g = await current();
      this.reset();
      if (g) for (const s of TRIAL_STATES) this.set({ state: s }, g.trialsByState[s] ?? 0);
    },
  });
  new Gauge({
    name: "autoglm_waiting_trials",
    help: "Trials waiting for an agent, per team (slug); teams with none are absent.",
    labelNames: ["team"] as const,
    registers: [registry],
    async collect() {
      const g = await current();
      this.reset();
      for (const [team, n] of g?.waitingByTeam ?? []) this.set({ team }, n);
    },
  });
  new Gauge({
    name: "autoglm_agents_online",
    help: "Agents connected and heard from recently, per team (slug) that has registered an agent.",
    labelNames: ["team"] as const,
    registers: [registry],
    async collect() {
      const g = await current();
      this.reset();
      for (const [team, n] of g?.agentsOnlineByTeam ?? []) this.set({ team }, n);
    },
  });
}
