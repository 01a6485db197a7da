import { parseArgs } from "node:util";
import { createLogger, LOG_FORMATS, LOG_LEVELS, type Logger, type TLogFormat, type TLogLevel } from "@autoglm/logging";
import { startAgent, type AgentOptions, type RunningAgent } from "./agent.js";
import { agentUser, parseRunAs, type TrialUser } from "./trial-user.js";

const USAGE = `autoglm agent start --server URL --token agl_… [--name NAME] [--label key=value]… [--max-trials N]
  [--work-dir DIR] [--run-as USER|UID[:GID]|self] [--heartbeat-ms MS] [--kill-grace-ms MS] [--shutdown-grace-ms MS]
  [--reconnect-max-ms MS] [--no-gpus] [--metrics-port PORT [--metrics-host ADDR]]
The token (scope "agent") may also be given as AUTOGLM_TOKEN, the server as AUTOGLM_SERVER.
--metrics-port (or AUTOGLM_METRICS_PORT) serves Prometheus metrics at /metrics on
--metrics-host (AUTOGLM_METRICS_HOST, default 127.0.0.1); none without it.
Trials run as the agent's user; an agent running as root runs them as nobody unless --run-as
names another user (self: root itself, which lets a trial do anything root can).
SIGTERM / SIGINT hand running trials back to the server before the agent exits.
LOG_FORMAT=json (default: one JSON object a line) or pretty; LOG_LEVEL=info (default) or debug, warn, ….`;

export interface AgentCliIo {
  stdout(text: string): void;
  stderr(text: string): void;
}

const defaultIo: AgentCliIo = { stdout: (t) => process.stdout.write(t), stderr: (t) => process.stderr.write(t) };

const WHOLE_NUMBER_FLAGS = [
  "max-trials",
  "heartbeat-ms",
  "kill-grace-ms",
  "shutdown-grace-ms",
  "ack-timeout-ms",
  "reconnect-max-ms",
  "metrics-port",
] as const;
type WholeNumbers = Partial<Record<(typeof WHOLE_NUMBER_FLAGS)[number], number>>;

/** A bad command line: printed after "autoglm agent: ", with the usage when `withUsage`; exit code 2. */
class UsageError extends Error {
  constructor(
    message: string,
    readonly withUsage = false,
  ) {
    super(message);
  }
}

/**
 * `autoglm agent start …` and `autoglm-agent …`: registers this machine and runs leased
 * trials until SIGTERM/SIGINT. Resolves with the exit code (2 for usage errors); a started
 * agent resolves only when it has handed its trials back.
 */
export async function runAgentCli(argv: string[], io: AgentCliIo = defaultIo): Promise<number> {
  let options: AgentOptions | "help" | "usage";
  try {
    options = optionsFromArgs(argv, io);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    io.stderr(`autoglm agent: ${err.message}\n${err.withUsage ? `${USAGE}\n` : ""}`);
    return 2;
  }
  if (options === "help" || options === "usage") {
    io[options === "help" ? "stdout" : "stderr"](`${USAGE}\n`);
    return options === "help" ? 0 : 2;
  }
  // The trial environment is built from an allowlist; drop the token from ours as well.
  delete process.env.AUTOGLM_TOKEN;
  const logger = options.logger ?? loggerFromEnv();
  return await runUntilSignalled(await startAgent({ ...options, logger }), logger);
}

/** The agent's options from the command line and AUTOGLM_SERVER / AUTOGLM_TOKEN; "help" or "usage" when only the usage is to be printed. */
function optionsFromArgs(argv: string[], io: AgentCliIo): AgentOptions | "help" | "usage" {
  const values = readFlags(argv[0] === "start" ? argv.slice(1) : argv);
  if (values.help) return "help";
  if (argv[0] !== undefined && argv[0] !== "start" && argv[0]!.startsWith("-") === false) return "usage";
  const token = values.token ?? process.env.AUTOGLM_TOKEN;
  if (!token) throw new UsageError("a token with the agent scope is required (--token or AUTOGLM_TOKEN)");
  const labels = parseLabels(values.label ?? []);
  const ints = parseWholeNumbers(values);
  const runAs = values["run-as"] !== undefined ? resolveRunAs(values["run-as"], io) : undefined;
  return {
    logger: loggerFromEnv(),
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
    ...metricsListen(ints["metrics-port"], values["metrics-host"]),
  };
}

function readFlags(args: string[]) {
  try {
    return parseArgs({
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
        "metrics-port": {
          type: "string",
          ...(process.env.AUTOGLM_METRICS_PORT ? { default: process.env.AUTOGLM_METRICS_PORT } : {}),
        },
        "metrics-host": {
          type: "string",
          ...(process.env.AUTOGLM_METRICS_HOST ? { default: process.env.AUTOGLM_METRICS_HOST } : {}),
        },
        help: { type: "boolean", short: "h", default: false },
      },
    }).values;
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err), true);
  }
}

/** `--metrics-port` 1-65535 and its host; a host without a port is a mistake worth saying. */
function metricsListen(port: number | undefined, host: string | undefined): Pick<AgentOptions, "metricsPort" | "metricsHost"> {
  if (port === undefined) {
    if (host !== undefined) throw new UsageError("--metrics-host needs --metrics-port");
    return {};
  }
  if (port > 65_535) throw new UsageError(`--metrics-port must be a port number, 1-65535 (got "${port}")`);
  return { metricsPort: port, ...(host ? { metricsHost: host } : {}) };
}

function parseLabels(list: string[]): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const l of list) {
    const i = l.indexOf("=");
    if (i <= 0) throw new UsageError(`--label must be key=value (got "${l}")`);
    labels[l.slice(0, i)] = l.slice(i + 1);
  }
  return labels;
}

function parseWholeNumbers(values: Partial<Record<(typeof WHOLE_NUMBER_FLAGS)[number], string>>): WholeNumbers {
  const ints: WholeNumbers = {};
  for (const k of WHOLE_NUMBER_FLAGS) {
    const raw = values[k];
    if (raw === undefined) continue;
    const n = Number(raw);
    if (!Number.isInteger(n) || n <= 0) throw new UsageError(`--${k} must be a positive whole number (got "${raw}")`);
    ints[k] = n;
  }
  return ints;
}

/** `--run-as`: another user than the agent's own needs a root agent; root itself only with a warning. */
function resolveRunAs(value: string, io: AgentCliIo): TrialUser | null {
  let parsed;
  try {
    parsed = parseRunAs(value);
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
  const self = agentUser();
  const target = parsed.kind === "self" ? self : parsed.user;
  if (target && self && self.uid !== 0 && (target.uid !== self.uid || target.gid !== self.gid)) {
    throw new UsageError(`--run-as ${value} needs an agent running as root (this one runs as uid ${self.uid})`);
  }
  if (target?.uid === 0) {
    io.stderr("autoglm agent: warning: trials run as root (--run-as): a trial's command can do anything on this machine\n");
  }
  return parsed.kind === "self" ? null : parsed.user;
}

/**
 * The agent's logger: LOG_FORMAT `json` (default: one object a line, for containers and log
 * shippers) or `pretty` (a terminal), LOG_LEVEL (default info). A bad value is a usage error.
 */
function loggerFromEnv(): Logger {
  const format = process.env.LOG_FORMAT || "json";
  const level = process.env.LOG_LEVEL || "info";
  if (!(LOG_FORMATS as readonly string[]).includes(format)) {
    throw new UsageError(`LOG_FORMAT must be one of ${LOG_FORMATS.join(", ")} (got "${format}")`);
  }
  if (!(LOG_LEVELS as readonly string[]).includes(level)) {
    throw new UsageError(`LOG_LEVEL must be one of ${LOG_LEVELS.join(", ")} (got "${level}")`);
  }
  return createLogger({ name: "agent", format: format as TLogFormat, level: level as TLogLevel });
}

/** Resolves once SIGTERM or SIGINT has made the agent hand its trials back: 0, or 1 if that failed. */
function runUntilSignalled(agent: RunningAgent, logger: Logger): Promise<number> {
  return new Promise<number>((resolve) => {
    let exiting = false;
    const shutdown = (sig: string) => {
      if (exiting) return;
      exiting = true;
      const agentId = agent.agentId();
      logger.info(`${sig}: handing running trials back`, agentId ? { agentId } : undefined);
      agent.stop().then(
        () => resolve(0),
        () => resolve(1),
      );
    };
    process.once("SIGTERM", () => shutdown("SIGTERM"));
    process.once("SIGINT", () => shutdown("SIGINT"));
  });
}
