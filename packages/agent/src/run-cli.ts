import { parseArgs } from "node:util";
import { startAgent } from "./agent.js";
import { agentUser, parseRunAs, type TrialUser } from "./trial-user.js";

const USAGE = `autoglm agent start --server URL --token agl_… [--name NAME] [--label key=value]… [--max-trials N]
  [--work-dir DIR] [--run-as USER|UID[:GID]|self] [--heartbeat-ms MS] [--kill-grace-ms MS] [--shutdown-grace-ms MS]
  [--reconnect-max-ms MS] [--no-gpus]
The token (scope "agent") may also be given as AUTOGLM_TOKEN, the server as AUTOGLM_SERVER.
Trials run as the agent's user; an agent running as root runs them as nobody unless --run-as
names another user (self: root itself, which lets a trial do anything root can).
SIGTERM / SIGINT hand running trials back to the server before the agent exits.`;

export interface AgentCliIo {
  stdout(text: string): void;
  stderr(text: string): void;
}

const defaultIo: AgentCliIo = { stdout: (t) => process.stdout.write(t), stderr: (t) => process.stderr.write(t) };

/**
 * `autoglm agent start …` and `autoglm-agent …`: registers this machine and runs leased
 * trials until SIGTERM/SIGINT. Resolves with the exit code (2 for usage errors); a started
 * agent resolves only when it has handed its trials back.
 */
export async function runAgentCli(argv: string[], io: AgentCliIo = defaultIo): Promise<number> {
  const args = argv[0] === "start" ? argv.slice(1) : argv;
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        server: { type: "string", default: process.env.AUTOGLM_SERVER ?? "http://127.0.0.1:3000" },
        token: { type: "string" },
        name: { type: "string" },
        label: { type: "string", multiple: true, default: [] },
        "max-trials": { type: "string" },
        "work-dir": { type: "string" },
        "run-as": { type: "string" },
        "heartbeat-ms": { type: "string" },
        "kill-grace-ms": { type: "string" },
        "shutdown-grace-ms": { type: "string" },
        "ack-timeout-ms": { type: "string" },
        "reconnect-max-ms": { type: "string" },
        "no-gpus": { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
    }));
  } catch (err) {
    io.stderr(`autoglm agent: ${err instanceof Error ? err.message : String(err)}\n${USAGE}\n`);
    return 2;
  }
  if (values.help || (argv[0] !== undefined && argv[0] !== "start" && argv[0]!.startsWith("-") === false)) {
    io[values.help ? "stdout" : "stderr"](`${USAGE}\n`);
    return values.help ? 0 : 2;
  }

  const token = values.token ?? process.env.AUTOGLM_TOKEN;
  if (!token) {
    io.stderr("autoglm agent: a token with the agent scope is required (--token or AUTOGLM_TOKEN)\n");
    return 2;
  }
  const labels: Record<string, string> = {};
  for (const l of values.label ?? []) {
    const i = l.indexOf("=");
    if (i <= 0) {
      io.stderr(`autoglm agent: --label must be key=value (got "${l}")\n`);
      return 2;
    }
    labels[l.slice(0, i)] = l.slice(i + 1);
  }
  const ints: Record<string, number> = {};
  for (const k of [
    "max-trials",
    "heartbeat-ms",
    "kill-grace-ms",
    "shutdown-grace-ms",
    "ack-timeout-ms",
    "reconnect-max-ms",
  ] as const) {
    const raw = values[k];
    if (raw === undefined) continue;
    const n = Number(raw);
    if (!Number.isInteger(n) || n <= 0) {
      io.stderr(`autoglm agent: --${k} must be a positive whole number (got "${raw}")\n`);
      return 2;
    }
    ints[k] = n;
  }

  let runAs: TrialUser | null | undefined;
  if (values["run-as"] !== undefined) {
    let parsed;
    try {
      parsed = parseRunAs(values["run-as"]);
    } catch (err) {
      io.stderr(`autoglm agent: ${err instanceof Error ? err.message : String(err)}\n`);
      return 2;
    }
    const self = agentUser();
    const target = parsed.kind === "self" ? self : parsed.user;
    if (target && self && self.uid !== 0 && (target.uid !== self.uid || target.gid !== self.gid)) {
      io.stderr(
        `autoglm agent: --run-as ${values["run-as"]} needs an agent running as root (this one runs as uid ${self.uid})\n`,
      );
      return 2;
    }
    if (target?.uid === 0) {
      io.stderr("autoglm agent: warning: trials run as root (--run-as): a trial's command can do anything on this machine\n");
    }
    runAs = parsed.kind === "self" ? null : parsed.user;
  }

  // The trial environment is built from an allowlist; drop the token from ours as well.
  delete process.env.AUTOGLM_TOKEN;

  const agent = await startAgent({
    server: values.server!,
    token,
    ...(values.name ? { name: values.name } : {}),
    labels,
    ...(ints["max-trials"] ? { maxTrials: ints["max-trials"] } : {}),
    ...(values["work-dir"] ? { workDir: values["work-dir"] } : {}),
    ...(runAs !== undefined ? { runAs } : {}),
    ...(ints["heartbeat-ms"] ? { heartbeatMs: ints["heartbeat-ms"] } : {}),
    ...(ints["kill-grace-ms"] ? { killGraceMs: ints["kill-grace-ms"] } : {}),
    ...(ints["shutdown-grace-ms"] ? { shutdownGraceMs: ints["shutdown-grace-ms"] } : {}),
    ...(ints["ack-timeout-ms"] ? { ackTimeoutMs: ints["ack-timeout-ms"] } : {}),
    ...(ints["reconnect-max-ms"]
      ? { reconnectDelayMaxMs: ints["reconnect-max-ms"], reconnectDelayMs: Math.min(500, ints["reconnect-max-ms"]) }
      : {}),
    ...(values["no-gpus"] ? { gpus: [] } : {}),
  });

  return await new Promise<number>((resolve) => {
    let exiting = false;
    const shutdown = (sig: string) => {
      if (exiting) return;
      exiting = true;
      io.stdout(`[agent] ${sig}: handing running trials back\n`);
      agent.stop().then(
        () => resolve(0),
        () => resolve(1),
      );
    };
    process.once("SIGTERM", () => shutdown("SIGTERM"));
    process.once("SIGINT", () => shutdown("SIGINT"));
  });
}
