import { spawn, type ChildProcess } from "node:child_process";
import { chmodSync, createWriteStream, existsSync, mkdirSync, mkdtempSync } from "node:fs";
import path from "node:path";
import type { ImageConfig } from "./dockerfile.js";
import { repoRoot } from "./tools.js";

/**
 * Runs a container as a local process, the way a kubelet or `docker run` would start it from
 * an image and a container spec, against the locally built checkout instead of the image:
 *   - command/args follow Kubernetes: `command` replaces the ENTRYPOINT, `args` the CMD (and a
 *     `command` without `args` drops the CMD); $(VAR) is expanded from the container's env;
 *   - env: the image's ENV, then the container's, with secretKeyRef from the Secrets the test
 *     provides and fieldRef from the pod the test names; envFrom Secrets likewise;
 *   - the filesystem: the image's /app is the repository root (the Dockerfiles copy it there),
 *     and every volume mount and every directory the Dockerfile creates is a fresh directory;
 *   - the network: each container port is a free local port, and a Service's URL is the
 *     local address of the process behind it.
 * Nothing else is changed: what runs is exactly the rendered command line.
 */

export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: {
    secretKeyRef?: { name: string; key: string; optional?: boolean };
    fieldRef?: { fieldPath: string };
  };
}

export interface ContainerSpec {
  name: string;
  image?: string;
  command?: string[];
  args?: string[];
  workingDir?: string;
  env?: EnvVar[];
  envFrom?: { secretRef?: { name: string } }[];
  ports?: { name?: string; containerPort: number }[];
  volumeMounts?: { name: string; mountPath: string }[];
  readinessProbe?: { httpGet?: { path: string; port: string | number } };
  livenessProbe?: { httpGet?: { path: string; port: string | number } };
  startupProbe?: { httpGet?: { path: string; port: string | number } };
}

export interface PodWorld {
  /** Secret name → key → value, standing in for the cluster's Secrets. */
  secrets: Record<string, Record<string, string>>;
  /** Pod fields for fieldRef (spec.nodeName, metadata.name, …). */
  fields: Record<string, string>;
  /** URL prefixes (a Service's in-cluster URLs) → the local URL serving them. */
  services: Record<string, string>;
  /** Local port for each container port of this container. */
  ports: Record<number, number>;
  /** Where this container's mounts and image directories live. */
  scratch: string;
  logFile: string;
  /**
   * A directory the container runtime puts in front of PATH: on a GPU node, the NVIDIA
   * container toolkit's nvidia-smi (a stand-in here).
   */
  runtimeBin?: string;
}

export interface StartedContainer {
  child: ChildProcess;
  argv: string[];
  env: Record<string, string>;
  exited: Promise<number | null>;
  output(): string;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

const TINI = "/usr/bin/tini";

/** The directories the final stage creates (`mkdir -p …`): writable places in the image. */
function imageDirs(image: ImageConfig): string[] {
  const dirs: string[] = [];
  for (const i of image.runtime.filter((r) => r.keyword === "RUN")) {
    for (const m of i.args.matchAll(/mkdir -p ((?:\/[\w.-]+)+)/g)) dirs.push(m[1]!);
  }
  return dirs;
}

/** Where an image path that is a mount or an image directory lives for a container with this scratch directory. */
export function scratchPath(scratch: string, imagePath: string): string {
  return path.join(scratch, imagePath.replace(/\//g, "_"));
}

/** Image paths → local paths: /app is the checkout; mounts and image directories are scratch. */
function pathMap(image: ImageConfig, container: ContainerSpec, scratch: string): [string, string][] {
  const map: [string, string][] = [["/app", repoRoot]];
  const fresh = [...(container.volumeMounts ?? []).map((m) => m.mountPath), ...imageDirs(image)];
  for (const p of fresh) {
    if (map.some(([from]) => from === p)) continue;
    const local = scratchPath(scratch, p);
    // Open to every user like an emptyDir (0777): an agent started as root runs its trials as nobody.
    mkdirSync(local, { recursive: true });
    chmodSync(local, 0o777);
    map.push([p, local]);
  }
  return map.sort((a, b) => b[0].length - a[0].length);
}

function mapValue(value: string, world: PodWorld, paths: [string, string][]): string {
  for (const [from, to] of paths) {
    if (value === from || value.startsWith(`${from}/`)) return to + value.slice(from.length);
  }
  for (const [prefix, local] of Object.entries(world.services)) {
    if (value === prefix || value.startsWith(`${prefix}/`)) return local + value.slice(prefix.length);
  }
  for (const [port, local] of Object.entries(world.ports)) if (value === port) return String(local);
  return value;
}

/** Kubernetes' $(VAR) expansion: defined names are replaced, $$ escapes, unknown ones stay. */
function expand(value: string, env: Record<string, string>): string {
  return value.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (whole, name?: string) =>
    whole === "$$" ? "$" : name !== undefined && name in env ? env[name]! : whole,
  );
}

function secretValue(world: PodWorld, ref: { name: string; key: string; optional?: boolean }): string | undefined {
  const v = world.secrets[ref.name]?.[ref.key];
  if (v === undefined && !ref.optional) {
    throw new Error(`secret "${ref.name}" key "${ref.key}" is not provided (the kubelet would refuse to start the container)`);
  }
  return v;
}

function containerEnv(image: ImageConfig, container: ContainerSpec, world: PodWorld, paths: [string, string][]) {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(image.env)) env[k] = mapValue(v, world, paths);
  for (const from of container.envFrom ?? []) {
    if (!from.secretRef) continue;
    const secret = world.secrets[from.secretRef.name];
    if (!secret) throw new Error(`secret "${from.secretRef.name}" (envFrom) is not provided`);
    Object.assign(env, secret);
  }
  for (const e of container.env ?? []) {
    let v: string | undefined;
    if (e.value !== undefined) v = expand(e.value, env);
    else if (e.valueFrom?.secretKeyRef) v = secretValue(world, e.valueFrom.secretKeyRef);
    else if (e.valueFrom?.fieldRef) v = world.fields[e.valueFrom.fieldRef.fieldPath];
    if (v === undefined) throw new Error(`env ${e.name}: no value for ${JSON.stringify(e.valueFrom ?? e)}`);
    env[e.name] = mapValue(v, world, paths);
  }
  return env;
}

/** The process's argv as the kubelet would exec it (before path and port mapping). */
export function containerArgv(image: ImageConfig, container: ContainerSpec): string[] {
  const command = container.command ?? image.entrypoint;
  const args = container.args ?? (container.command ? [] : image.cmd);
  return [...command, ...args];
}

export function startContainer(image: ImageConfig, container: ContainerSpec, world: PodWorld): StartedContainer {
  mkdirSync(world.scratch, { recursive: true });
  chmodSync(world.scratch, 0o777);
  const paths = pathMap(image, container, world.scratch);
  const home = mkdtempSync(path.join(world.scratch, "home-"));
  const env = {
    PATH: [world.runtimeBin, process.env.PATH ?? "/usr/bin:/bin"].filter(Boolean).join(":"),
    LANG: "C.UTF-8",
    HOME: home,
    ...containerEnv(image, container, world, paths),
  };
  let argv = containerArgv(image, container).map((a) => mapValue(expand(a, env), world, paths));
  if (argv[0] === TINI && argv[1] === "--" && !existsSync(TINI)) {
    // The image installs tini from Debian/Ubuntu (apt-get install tini; .ci/run does the same).
    console.log(`${image.file}: ${TINI} is not installed here (apt-get install tini): running what it would exec`);
    argv = argv.slice(2);
  }
  const cwd = mapValue(container.workingDir ?? image.workdir, world, paths);
  const log = createWriteStream(world.logFile, { flags: "a" });
  const child = spawn(argv[0]!, argv.slice(1), { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  const collect = (chunk: Buffer) => {
    output += chunk.toString();
    log.write(chunk);
  };
  child.stdout!.on("data", collect);
  child.stderr!.on("data", collect);
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return {
    child,
    argv,
    env,
    exited,
    output: () => output,
    async stop(signal = "SIGTERM") {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const code = await exited;
      log.end();
      return code;
    },
  };
}

/** The local URL of a probe's httpGet (a named port resolves through the container's ports). */
export function probeUrl(
  container: ContainerSpec,
  probe: { httpGet?: { path: string; port: string | number } } | undefined,
  world: PodWorld,
): string {
  if (!probe?.httpGet) throw new Error(`container ${container.name} has no httpGet probe`);
  const { port, path: probePath } = probe.httpGet;
  const containerPort = typeof port === "number" ? port : container.ports?.find((p) => p.name === port)?.containerPort;
  if (containerPort === undefined) throw new Error(`probe port ${port} is not a port of container ${container.name}`);
  return `http://127.0.0.1:${world.ports[containerPort]}${probePath}`;
}

/** Polls until `url` answers 200 (a Ready container), or the process exits, or the deadline. */
export async function waitReady(url: string, started: StartedContainer, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (started.child.exitCode !== null)
      throw new Error(`exited ${started.child.exitCode} before ${url} was ready:\n${started.output()}`);
    const ok = await fetch(url).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${url} was not ready within ${timeoutMs} ms:\n${started.output()}`);
}
