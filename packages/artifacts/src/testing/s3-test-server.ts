import { execFile, spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { CreateBucketCommand, S3Client } from "@aws-sdk/client-s3";

/**
 * A real S3-compatible server for tests: moto's standalone server (PyPI `moto[server]`, pinned in
 * scripts/s3-test-server.sh, which installs it once into ~/.cache/autoglm-tools), on 127.0.0.1
 * with a port the OS picks, stopped by PID. It accepts any credentials; its objects live in
 * its own memory, not the test's.
 */
export interface S3TestServer {
  endpoint: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  pid: number;
  createBucket(name: string): Promise<void>;
  stop(): Promise<void>;
}

const SCRIPT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../scripts/s3-test-server.sh");
/** The first run installs moto and its dependencies from PyPI: about a minute here. */
const INSTALL_TIMEOUT_MS = 300_000;
const START_TIMEOUT_MS = 30_000;

/** Installs (once) and starts the server; `{ skip }` with the reason when it cannot be installed. */
export async function startS3TestServer(): Promise<S3TestServer | { skip: string }> {
  let binary: string;
  try {
    const { stdout } = await promisify(execFile)("bash", [SCRIPT], { timeout: INSTALL_TIMEOUT_MS });
    binary = stdout.trim().split("\n").pop()!;
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    return { skip: `no S3 test server (${SCRIPT}): ${(e.stderr ?? "").trim() || e.message}` };
  }
  const child = spawn(binary, ["-H", "127.0.0.1", "-p", "0"], { stdio: ["ignore", "pipe", "pipe"] });
  const port = await announcedPort(child);
  const endpoint = `http://127.0.0.1:${port}`;
  const region = "us-east-1";
  const credentials = { accessKeyId: "test-access-key", secretAccessKey: "test-secret-key" };
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  return {
    endpoint,
    region,
    credentials,
    pid: child.pid!,
    async createBucket(name) {
      const client = new S3Client({ endpoint, region, credentials, forcePathStyle: true });
      try {
        await client.send(new CreateBucketCommand({ Bucket: name }));
      } finally {
        client.destroy();
      }
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      process.kill(child.pid!, "SIGTERM");
      const killer = setTimeout(() => child.pid && process.kill(child.pid, "SIGKILL"), 5_000);
      await exited;
      clearTimeout(killer);
    },
  };
}

/** Werkzeug prints ` * Running on http://127.0.0.1:<port>` once it listens (port 0: the OS chose). */
function announcedPort(child: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    let output = "";
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`moto_server did not start within ${START_TIMEOUT_MS} ms:\n${output}`));
    }, START_TIMEOUT_MS);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const m = /Running on http:\/\/127\.0\.0\.1:(\d+)/.exec(output);
      if (m) {
        clearTimeout(timer);
        child.stdout!.off("data", onData);
        child.stderr!.off("data", onData);
        // Keep draining its output so a chatty server never blocks on a full pipe.
        child.stdout!.resume();
        child.stderr!.resume();
        resolve(Number(m[1]));
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`moto_server exited ${code} before listening:\n${output}`));
    });
  });
}
