/**
 * The inference gateway through the real server: endpoints deployed from a study over the API,
 * a real Socket.IO client acting as the team's agent (it downloads the model files through the
 * replica file route, checks their SHA-256, starts a tiny real HTTP server as the replica and
 * reports it ready), then requests at /serve/<team>/<endpoint>/…: forwarded with the replica's
 * secret (never the caller's key), streamed back; S11's matrix (no key, malformed, revoked,
 * expired, another endpoint's, another team's, read/write and agent tokens without infer) gets
 * 401/403 with no model output and never reaches the replica; the 10 MB limit; 503 +
 * Retry-After with no ready replica and when the replica drops the connection mid-request.
 */
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, request, type IncomingMessage, type Server as HttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { io, type Socket } from "socket.io-client";
import { artifactKey } from "@autoglm/artifacts";
import { createServerCaller, nullEvents, startUserSession } from "@autoglm/api";
import { createTestDb, type TestDb } from "@autoglm/db/testing";
import { seedTeam, seedToken, type TeamFixture } from "@autoglm/scheduler/testing";
import { startServingServer, waitFor, type ServingServer } from "./serving-server.js";

const RUN = { heartbeatMs: 250, leaseTtlMs: 2_000, sweepMs: 200, tickMs: 100, ackTimeoutMs: 2_000, startupGraceMs: 0 };
const SPEC = {
  name: "digits",
  objective: { metric: "loss", direction: "minimize" as const },
  space: { x: { type: "float" as const, low: 0, high: 1 } },
  sampler: { name: "random" as const, seed: 1 },
};
const WEIGHTS = Buffer.from("weights of the served model");
/** The agent protocol's version (events carry it as `v`). */
const PROTOCOL_VERSION = 1;

/** What `replica:start` carries that this test reads (the protocol's ZReplicaStart). */
interface TReplicaStart {
  replicaId: string;
  leaseToken: string;
  secret: string;
  model: { version: number; files: Array<{ name: string; sha256: string }> };
}

let db: TestDb;
let server: ServingServer;
let dataDir: string;
const replicaServers: HttpServer[] = [];
const sockets: Socket[] = [];
/** Every request a replica received: its path and the bearer it carried. */
const seen: Array<{ path: string; auth: string | undefined; leaked?: string[] }> = [];

interface Deployed {
  team: TeamFixture;
  slug: string;
  url: string;
  key: string;
  caller: Awaited<ReturnType<typeof createServerCaller>>;
}

async function callerOf(team: TeamFixture) {
  const { sessionId } = await startUserSession(db, { userId: team.userId });
  const deps = {
    db,
    events: server.events,
    artifacts: server.artifacts,
    runLoop: server.gateway,
    options: { publicUrl: server.url },
  };
  return createServerCaller(deps, { session: { userId: team.userId, sessionVersion: 0, sessionId }, orgId: team.orgId });
}

/** A study with one finished trial whose file is in the store, deployed to an endpoint. */
async function deployTeam(tag: string): Promise<Deployed> {
  const team = await seedTeam(db, tag);
  const caller = await callerOf(team);
  const study = await caller.study.create({ projectId: team.projectId, spec: { ...SPEC, name: `digits-${tag}` } });
  const tc = await createServerCaller(
    { db, events: nullEvents },
    { token: await seedToken(db, team, { scopes: ["read", "write"] }) },
  );
  const { trialId } = await tc.trial.ask({ studyId: study.id });
  await tc.trial.tell({ trialId, value: 0.1 });
  const key = artifactKey(
    { teamId: team.orgId, projectId: team.projectId, studyId: study.id, trialId, attempt: 1 },
    "model.onnx",
  );
  const put = await server.artifacts.put(key, Readable.from([WEIGHTS]));
  await db.query(
    "insert into trial_artifacts (org_id, trial_id, attempt, name, size_bytes, sha256, store_key) values ($1, $2, 1, 'model.onnx', $3, $4, $5)",
    [team.orgId, trialId, put.size, put.sha256, key],
  );
  const d = await caller.endpoint.deploy({ studyId: study.id });
  const [org] = await db.query<{ slug: string }>("select slug from organizations where id = $1", [team.orgId]);
  return { team, slug: org!.slug, url: d.url, key: d.key!, caller };
}

/** The replica: answers only its own secret, names its version, and can stream, stall or drop. */
function startReplica(start: TReplicaStart): Promise<string> {
  const http = createServer((req, res) => {
    // Undefined unless a header leaked through: toEqual below ignores undefined fields.
    const leaked = Object.keys(req.headers).filter((h) => h.startsWith("x-autoglm-") || h === "cookie");
    seen.push({ path: req.url ?? "", auth: req.headers.authorization, ...(leaked.length ? { leaked } : {}) });
    if (req.headers.authorization !== `Bearer ${start.secret}`) return void res.writeHead(401).end("{}");
    if (req.url === "/drop") return void req.socket.destroy();
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      res.setHeader("x-autoglm-model-version", String(start.model.version));
      if (req.url === "/stream") {
        res.writeHead(200, { "content-type": "text/event-stream" });
        res.write("data: first\n\n");
        setTimeout(() => res.end("data: [DONE]\n\n"), 200);
        return;
      }
      const rows = (JSON.parse(Buffer.concat(chunks).toString() || "{}") as { inputs?: unknown[] }).inputs ?? [];
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ predictions: rows.map(() => 7) }));
    });
  });
  replicaServers.push(http);
  return new Promise((resolve) =>
    http.listen(0, "127.0.0.1", () => resolve(`http://127.0.0.1:${(http.address() as AddressInfo).port}`)),
  );
}

/** Downloads one model file as the agent does (file route, agent token, lease header). */
function fetchFile(start: TReplicaStart, token: string, name: string, lease = start.leaseToken) {
  return fetch(`${server.url}/agent/replicas/${start.replicaId}/files/${encodeURIComponent(name)}`, {
    headers: { authorization: `Bearer ${token}`, "x-autoglm-lease": lease },
  });
}

/** A Socket.IO client acting as team A's agent. */
async function startAgent(team: TeamFixture): Promise<{ starts: TReplicaStart[]; token: string }> {
  const token = await seedToken(db, team);
  const starts: TReplicaStart[] = [];
  const socket = io(`${server.url}/agents`, { auth: { token }, transports: ["websocket"], reconnection: false });
  sockets.push(socket);
  socket.on("replica:start", (start: TReplicaStart, ack: (r: unknown) => void) => {
    starts.push(start);
    ack({ ok: true, accepted: true });
    void (async () => {
      const res = await fetchFile(start, token, start.model.files[0]!.name);
      const bytes = Buffer.from(await res.arrayBuffer());
      expect(createHash("sha256").update(bytes).digest("hex")).toBe(start.model.files[0]!.sha256);
      const url = await startReplica(start);
      await socket.timeout(5_000).emitWithAck("replica:ready", {
        v: PROTOCOL_VERSION,
        replicaId: start.replicaId,
        leaseToken: start.leaseToken,
        url,
        gpus: [],
      });
    })();
  });
  await new Promise<void>((resolve) => socket.once("connect", resolve));
  await socket.timeout(5_000).emitWithAck("agent:register", {
    v: PROTOCOL_VERSION,
    name: `agent-${team.orgId.slice(0, 6)}`,
    host: "localhost",
    cpuCores: 2,
    memoryMb: 8_000,
    gpus: [],
    labels: {},
    maxTrials: 1,
    running: [],
  });
  const beat = setInterval(() => {
    void socket
      .timeout(2_000)
      .emitWithAck("agent:heartbeat", {
        v: PROTOCOL_VERSION,
        seq: Date.now(),
        running: [],
        replicas: starts.map((s) => ({ replicaId: s.replicaId, leaseToken: s.leaseToken })),
      })
      .catch(() => {});
  }, RUN.heartbeatMs);
  socket.on("disconnect", () => clearInterval(beat));
  return { starts, token };
}

const post = (url: string, key: string | null, body: unknown, headers: Record<string, string> = {}) =>
  fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...(key ? { authorization: `Bearer ${key}` } : {}), ...headers },
    body: JSON.stringify(body),
  });

let A: Deployed;
let B: Deployed;
let agent: { starts: TReplicaStart[]; token: string };

beforeAll(async () => {
  db = await createTestDb();
  dataDir = mkdtempSync(path.join(tmpdir(), "autoglm-serve-"));
  server = await startServingServer(db, dataDir, RUN);
  A = await deployTeam("serve-a");
  B = await deployTeam("serve-b");
  agent = await startAgent(A.team);
  await waitFor(
    async () => (await post(`${A.url}/invocations`, A.key, { inputs: [[0]] })).status === 200,
    15_000,
    "team A's replica answering through the gateway",
  );
}, 120_000);

afterAll(async () => {
  for (const s of sockets) s.disconnect();
  for (const h of replicaServers) h.closeAllConnections();
  await server?.close();
  await Promise.all(replicaServers.map((h) => new Promise((r) => h.close(r))));
  await db?.drop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe("the /serve gateway", () => {
  it("forwards to the ready replica with its secret, never the caller's key, and returns its answer", async () => {
    const before = seen.length;
    const res = await post(`${A.url}/invocations`, A.key, { inputs: [[1], [2], [3]] });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-autoglm-model-version")).toBe("1");
    expect(await res.json()).toEqual({ predictions: [7, 7, 7] });
    const forwarded = seen.slice(before);
    expect(forwarded).toEqual([{ path: "/invocations", auth: `Bearer ${agent.starts[0]!.secret}` }]);
    expect(JSON.stringify(seen)).not.toContain(A.key);
  });

  it("never forwards the caller's cookies or headers in the platform's own x-autoglm- namespace", async () => {
    const before = seen.length;
    const res = await post(
      `${A.url}/invocations`,
      A.key,
      { inputs: [[1]] },
      {
        "x-autoglm-client-ip": "6.6.6.6",
        "X-AutoGLM-Lease": "forged",
        cookie: "next-auth.session-token=abc",
      },
    );
    expect(res.status).toBe(200);
    expect(seen.slice(before)).toEqual([{ path: "/invocations", auth: `Bearer ${agent.starts[0]!.secret}` }]);
  });

  it("streams the answer as the replica sends it", async () => {
    const res = await post(`${A.url}/stream`, A.key, {});
    const reader = res.body!.getReader();
    const first = Buffer.from((await reader.read()).value!).toString();
    expect(first).toBe("data: first\n\n");
    let rest = "";
    for (let r = await reader.read(); !r.done; r = await reader.read()) rest += Buffer.from(r.value).toString();
    expect(rest).toBe("data: [DONE]\n\n");
  });

  it("S11: refuses every credential that does not carry infer for this endpoint, with no model output", async () => {
    const other = await A.caller.endpoint.create({
      name: "other",
      model: A.url.split("/").pop()!,
      alias: "production",
      minReplicas: 0,
    });
    const otherKey = (await A.caller.endpoint.keyCreate({ endpoint: other.name })).key;
    const revoked = await A.caller.endpoint.keyCreate({ endpoint: A.url.split("/").pop()! });
    await A.caller.endpoint.keyRevoke({ endpoint: A.url.split("/").pop()!, keyId: revoked.id });
    const expired = await A.caller.endpoint.keyCreate({ endpoint: A.url.split("/").pop()! });
    await db.query("update api_tokens set expires_at = now() - interval '1 minute' where id = $1", [expired.id]);
    const readWrite = await seedToken(db, A.team, { scopes: ["read", "write"] });
    const cases: Array<[string, string | null, number]> = [
      ["no key", null, 401],
      ["malformed key", "agl_not-a-real-key", 401],
      ["revoked key", revoked.key, 401],
      ["expired key", expired.key, 401],
      ["another endpoint's key", otherKey, 403],
      ["another team's key", B.key, 403],
      ["a read/write token", readWrite, 403],
      ["an agent token", agent.token, 403],
    ];
    const routes = ["/invocations", "/ping", `/v2/models/x/infer`, "/v1/chat/completions"];
    const before = seen.length;
    for (const [what, key, status] of cases) {
      for (const route of routes) {
        const res = await post(`${A.url}${route}`, key, { inputs: [[1]] });
        const text = await res.text();
        expect({ what, route, status: res.status }).toEqual({ what, route, status });
        expect(text).not.toContain("predictions");
      }
    }
    expect(seen.length).toBe(before);
    // Each protocol's own error shape.
    const v2 = (await (await post(`${A.url}/v2/models/x/infer`, null, {})).json()) as { error: string };
    expect(typeof v2.error).toBe("string");
    const openai = (await (await post(`${A.url}/v1/completions`, null, {})).json()) as { error: { type: string } };
    expect(openai.error.type).toBe("authentication_error");
    const mlflow = (await (await post(`${A.url}/invocations`, B.key, {})).json()) as { error_code: string };
    expect(mlflow.error_code).toBe("OTHER_ENDPOINT");
    // A team-wide infer token opens every endpoint of its team.
    const infer = await seedToken(db, A.team, { scopes: ["infer"] });
    expect((await post(`${A.url}/invocations`, infer, { inputs: [[1]] })).status).toBe(200);
    // No ready replica: 503 with Retry-After.
    const none = await post(`${other.url}/invocations`, otherKey, { inputs: [[1]] });
    expect(none.status).toBe(503);
    expect(none.headers.get("retry-after")).toBe("1");
  });

  it("S11: a key that just answered is refused on its next request once revoked (the gateway's grant memory forgets it)", async () => {
    const endpoint = A.url.split("/").pop()!;
    const key = await A.caller.endpoint.keyCreate({ endpoint });
    for (let i = 0; i < 3; i++) expect((await post(`${A.url}/invocations`, key.key, { inputs: [[1]] })).status).toBe(200);
    await A.caller.endpoint.keyRevoke({ endpoint, keyId: key.id });
    const after = await post(`${A.url}/invocations`, key.key, { inputs: [[1]] });
    expect(after.status).toBe(401);
    expect(await after.text()).not.toContain("predictions");
    // A team-wide infer token revoked through the API, likewise.
    const token = await seedToken(db, A.team, { scopes: ["infer"] });
    expect((await post(`${A.url}/invocations`, token, { inputs: [[1]] })).status).toBe(200);
    const hash = createHash("sha256").update(token).digest("hex");
    const [row] = await db.query<{ id: string }>("select id from api_tokens where token_hash = $1", [hash]);
    await A.caller.token.revoke({ id: row!.id });
    expect((await post(`${A.url}/invocations`, token, { inputs: [[1]] })).status).toBe(401);
  });

  it("refuses a body over 10 MB with 413, announced or chunked", async () => {
    const target = new URL(`${A.url}/invocations`);
    const announced = await new Promise<number>((resolve, reject) => {
      const req = request(target, {
        method: "POST",
        headers: { authorization: `Bearer ${A.key}`, "content-length": String(11 * 1024 * 1024) },
      });
      req.on("response", (res: IncomingMessage) => {
        resolve(res.statusCode ?? 0);
        req.destroy();
      });
      req.on("error", reject);
      req.flushHeaders();
    });
    expect(announced).toBe(413);
    const chunked = await new Promise<number>((resolve, reject) => {
      const req = request(target, {
        method: "POST",
        headers: { authorization: `Bearer ${A.key}`, "transfer-encoding": "chunked" },
      });
      req.on("response", (res: IncomingMessage) => {
        resolve(res.statusCode ?? 0);
        req.destroy();
      });
      req.on("error", reject);
      const mib = Buffer.alloc(1024 * 1024, 1);
      let sent = 0;
      const pump = () => {
        while (sent < 12 && req.write(mib)) sent++;
        if (sent < 12)
          req.once("drain", () => {
            sent++;
            pump();
          });
      };
      pump();
    });
    expect(chunked).toBe(413);
  });

  it("serves the replica's model files only to the agent holding its lease", async () => {
    const s = agent.starts[0]!;
    expect((await fetchFile(s, agent.token, "model.onnx")).status).toBe(200);
    expect((await fetchFile(s, agent.token, "nope.bin")).status).toBe(404);
    expect((await fetchFile(s, agent.token, "model.onnx", "00000000-0000-4000-8000-000000000000")).status).toBe(409);
    expect((await fetchFile(s, await seedToken(db, B.team), "model.onnx")).status).toBe(409);
    expect((await fetchFile(s, "agl_bogus", "model.onnx")).status).toBe(401);
  });

  it("answers again within a second once a replica that refused connections is back on its port", async () => {
    const replica = replicaServers[0]!;
    const port = (replica.address() as AddressInfo).port;
    replica.closeAllConnections();
    await new Promise((r) => replica.close(r));
    const refused = await post(`${A.url}/invocations`, A.key, { inputs: [[1]] });
    expect(refused.status).toBe(503);
    expect(refused.headers.get("retry-after")).toBe("1");
    // Its process restarted in place (a team's server does, in under a second): well inside the 5 s
    // a refusing replica is skipped for, the gateway tries it again.
    await new Promise<void>((r) => replica.listen(port, "127.0.0.1", r));
    await waitFor(
      async () => ((await post(`${A.url}/invocations`, A.key, { inputs: [[1]] })).status === 200 ? true : null),
      2_500,
      "the gateway to reach the replica again",
    );
  });

  it("answers 503 with Retry-After when the replica drops the connection mid-request", async () => {
    const res = await post(`${A.url}/drop`, A.key, {});
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).toBe("1");
  });
});
