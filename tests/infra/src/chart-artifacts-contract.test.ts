import { chmodSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startS3TestServer, type S3TestServer } from "@autoglm/artifacts/testing";
import { find, podTemplate, renderChart, type K8sObject } from "./chart.js";
import { readImage } from "./dockerfile.js";
import { emptyDatabase, freePort } from "./platform.js";
import {
  probeUrl,
  scratchPath,
  startContainer,
  waitReady,
  type ContainerSpec,
  type PodWorld,
  type StartedContainer,
} from "./pod.js";
import { repoRoot, tool } from "./tools.js";

/**
 * The chart's artifact store settings, run: the server container of each values file starts
 * exactly as rendered and checks its store before it serves. With ci/external-postgres-s3-values.yaml
 * the bucket's endpoint is a real S3 server (moto) standing in for AWS; without the bucket the
 * same container exits 1 with the reason. With ci/bundled-postgres-values.yaml the local store
 * lives on its claim.
 */
const helm = tool("helm");
if ("skip" in helm) console.log(`SKIPPED the chart's artifact store contract: ${helm.skip}`);

const logs = path.join(repoRoot, "test-results", "logs");
const scratch = mkdtempSync(path.join(tmpdir(), "autoglm-artifacts-contract-"));
chmodSync(scratch, 0o777);
const serverImage = readImage("infra/docker/server.Dockerfile");
const running: StartedContainer[] = [];
const cleanups: (() => Promise<void>)[] = [];
let s3: S3TestServer | undefined;
let s3Skip = "";

beforeAll(async () => {
  const started = await startS3TestServer();
  if ("skip" in started) {
    s3Skip = started.skip;
    console.log(`SKIPPED the chart's S3 contract: ${s3Skip}`);
  } else s3 = started;
});
afterAll(async () => {
  await Promise.all(running.map((c) => c.stop("SIGKILL")));
  for (const c of cleanups) await c();
  await s3?.stop();
  rmSync(scratch, { recursive: true, force: true });
});

/** The rendered server container and a world for it: its Secrets from `secrets`, its database empty. */
async function serverPod(valuesFile: string, name: string, secrets: (c: ContainerSpec) => PodWorld["secrets"]) {
  const objects: K8sObject[] = renderChart("path" in helm ? helm.path : "", { valueFiles: [valuesFile] });
  const container = podTemplate(find(objects, "Deployment", "-server")).spec.containers[0]!;
  const dbRef = container.env!.find((e) => e.name === "DATABASE_URL")!.valueFrom!.secretKeyRef!;
  const database = process.env.DATABASE_URL ? await emptyDatabase(process.env.DATABASE_URL) : undefined;
  if (database) cleanups.push(() => database.drop());
  const ports: Record<number, number> = {};
  for (const p of container.ports ?? []) ports[p.containerPort] = await freePort();
  const world: PodWorld = {
    secrets: { [dbRef.name]: { [dbRef.key]: database?.url ?? "" }, ...secrets(container) },
    fields: { "metadata.name": name },
    services: {},
    ports,
    scratch: path.join(scratch, name),
    logFile: path.join(logs, `infra-artifacts-${name}.log`),
  };
  return { container, world };
}

/** Every Secret the container references, with a value for each key (AUTH_SECRET, S3 keys…). */
function secretsFor(container: ContainerSpec, values: Record<string, string>): PodWorld["secrets"] {
  const out: PodWorld["secrets"] = {};
  for (const e of container.env ?? []) {
    const ref = e.valueFrom?.secretKeyRef;
    if (ref && e.name !== "DATABASE_URL") (out[ref.name] ??= {})[ref.key] = values[e.name] ?? "x".repeat(40);
  }
  return out;
}

const envOf = (c: ContainerSpec, name: string) => c.env!.find((e) => e.name === name)?.value;

describe.skipIf("skip" in helm)("chart contract: the artifact store", () => {
  it("starts the S3 values' server against the bucket, and stops it with the reason when the bucket is missing", async (ctx) => {
    if (!s3) return ctx.skip(s3Skip);
    const values = "ci/external-postgres-s3-values.yaml";
    const keys = { AWS_ACCESS_KEY_ID: s3.credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: s3.credentials.secretAccessKey };

    // No bucket yet: the container exits 1, naming the store and the reason.
    const missing = await serverPod(values, "s3-missing", (c) => secretsFor(c, keys));
    const endpoint = envOf(missing.container, "AWS_ENDPOINT_URL_S3")!;
    expect(envOf(missing.container, "ARTIFACT_STORE")).toBe("s3://autoglm-artifacts/prod/autoglm");
    missing.world.services[endpoint] = s3.endpoint; // AWS's endpoint is the local S3 server
    const failed = startContainer(serverImage, missing.container, missing.world);
    running.push(failed);
    expect(await failed.exited).toBe(1);
    expect(failed.output()).toContain(
      `The artifact store (ARTIFACT_STORE) failed its start-up check: artifact store s3://autoglm-artifacts/prod/autoglm/ at ${s3.endpoint}: the bucket cannot be reached: NotFound (HTTP 404): no such bucket`,
    );
    expect(failed.output()).not.toContain(s3.credentials.secretAccessKey);

    await s3.createBucket("autoglm-artifacts");
    const pod = await serverPod(values, "s3", (c) => secretsFor(c, keys));
    pod.world.services[endpoint] = s3.endpoint;
    const server = startContainer(serverImage, pod.container, pod.world);
    running.push(server);
    await waitReady(probeUrl(pod.container, pod.container.readinessProbe, pod.world), server, 180_000);
    expect(await server.stop("SIGTERM")).toBe(0);
  });

  it("keeps the bundled install's local store on its claim", async () => {
    const pod = await serverPod("ci/bundled-postgres-values.yaml", "local", (c) => secretsFor(c, {}));
    const mount = pod.container.volumeMounts!.find((m) => m.name === "artifacts")!.mountPath;
    expect(envOf(pod.container, "ARTIFACT_STORE")).toBe(`${mount}/store`);
    const server = startContainer(serverImage, pod.container, pod.world);
    running.push(server);
    await waitReady(probeUrl(pod.container, pod.container.readinessProbe, pod.world), server, 180_000);
    // check() made the store's directory on the claim's volume.
    expect(readdirSync(scratchPath(pod.world.scratch, mount))).toEqual(["store"]);
    expect(await server.stop("SIGTERM")).toBe(0);
  });
});
