import type { Command } from "commander";
import type { AgentSummary } from "../router-types.js";
import { EXIT_FAILURE, usageError, type CliContext, type CliIo, type GlobalFlags } from "./context.js";
import { ago, formatMb, json, renderTable } from "./output.js";

/** `autoglm agent …`: `list` is ours (a read over the API); `start` belongs to @autoglm/agent. */
export function registerAgentCommand(program: Command, { io, withClient, setExitCode }: CliContext): void {
  program
    .command("agent")
    .description("`agent list`: the team's agents; `agent start --server URL --token T`: run this machine as an agent")
    .argument("[args...]")
    .allowUnknownOption(true)
    .helpOption(false)
    .action(async (args: string[], _opts: unknown, cmd: Command) => {
      if (args[0] === "list") {
        const rest = args.slice(1);
        const unknown = rest.filter((a) => a !== "--json");
        if (unknown.length > 0) throw usageError(`autoglm: agent list takes only --json (got ${unknown.join(" ")})`);
        await withClient(async (client, _cmd: Command) => {
          printAgents(await client.agents.list(), rest.includes("--json"), io);
        })(cmd);
        return;
      }
      // The program-level --server/--token were parsed off the command line; the agent
      // reads them from its own argv, so hand them back (in-process: never on a ps line).
      const flags = cmd.optsWithGlobals<GlobalFlags>();
      const forwarded = [...args];
      if (flags.server !== undefined) forwarded.push("--server", flags.server);
      if (flags.token !== undefined) forwarded.push("--token", flags.token);
      setExitCode(await delegateToAgent(forwarded, io));
    });
}

function printAgents(rows: AgentSummary[], asJson: boolean, io: CliIo): void {
  if (asJson) return void io.stdout(json(rows));
  if (rows.length === 0) {
    io.stdout("no agents; start one with: autoglm agent start --server URL --token T (a token with the agent scope)\n");
    return;
  }
  io.stdout(
    renderTable(
      ["NAME", "STATUS", "HOST", "CPU", "MEM", "GPUS", "LABELS", "HEARTBEAT", "RUNNING"],
      rows.map((a) => [
        a.name,
        a.isOnline ? "online" : "offline",
        a.host,
        String(a.cpuCores),
        formatMb(a.memoryMb),
        formatGpus(a),
        Object.entries(a.labels)
          .sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0))
          .map(([k, v]) => `${k}=${v}`)
          .join(",") || "-",
        ago(a.lastHeartbeatAt),
        [
          ...a.running.map((t) => `${t.studyName}#${t.number}`),
          ...a.replicas.map((r) => `${r.endpoint}@v${r.version}${r.state === "ready" ? "" : ` (${r.state})`}`),
        ].join(",") || "-",
      ]),
    ),
  );
}

/** `1/2 A100 80G 35%, A100 80G`: GPUs in use of all, then each GPU's model, memory and load. */
function formatGpus(a: AgentSummary): string {
  if (a.gpus.length === 0) return "-";
  const each = a.gpus.map(
    (g) => `${g.model} ${formatMb(g.memoryMb)}${g.utilizationPct !== null ? ` ${Math.round(g.utilizationPct)}%` : ""}`,
  );
  return `${a.gpusInUse}/${a.gpus.length} ${each.join(", ")}`;
}

interface AgentModule {
  runAgentCli?: (argv: string[]) => Promise<number> | number;
}

/** `autoglm agent …` → `@autoglm/agent`'s `runAgentCli(argv)`, loaded only when asked for. */
async function delegateToAgent(args: string[], io: CliIo): Promise<number> {
  // A variable specifier keeps tsc and bundlers from resolving the optional package.
  const specifier = "@autoglm/agent";
  let mod: AgentModule | undefined;
  try {
    mod = (await import(specifier)) as AgentModule;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== "ERR_MODULE_NOT_FOUND" && code !== "MODULE_NOT_FOUND") throw err;
  }
  if (!mod?.runAgentCli) {
    // @autoglm/agent is an optional install; without it, say what is missing.
    io.stderr("autoglm: agent support arrives with the run-loop (install @autoglm/agent once it ships)\n");
    return EXIT_FAILURE;
  }
  return await mod.runAgentCli(args);
}
