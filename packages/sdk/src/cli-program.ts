import { readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import { createClient, normalizeServer, type AutoglmClient } from "./client.js";
import { configPath, resolveConfig, writeStoredConfig } from "./config.js";
import { AutoglmError, toAutoglmError } from "./errors.js";
import { parseStudyYaml } from "./spec.js";
import { parseDuration, parseFailIf, waitForStudy, type TFailIf } from "./study-wait.js";

/** Exit codes: 0 ok, 1 the operation failed, 2 the command line was wrong. */
export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: Record<string, string | undefined>;
  readStdin: () => Promise<string>;
}

const defaultIo: CliIo = {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
  env: process.env,
  readStdin: async () => {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString("utf8");
  },
};

function version(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version?: string };
    return pkg.version ?? "0.0.0";
  } catch {
    return "0.0.0";
  }
}

// ---- argument parsers (a bad value is a usage error: exit 2) -------------------------

function parseFinite(raw: string): number {
  const trimmed = raw.trim();
  const n = Number(trimmed);
  if (trimmed === "" || !Number.isFinite(n)) throw new InvalidArgumentError(`"${raw}" is not a finite number.`);
  return n;
}

function parseStep(raw: string): number {
  const n = Number(raw.trim());
  if (!/^\d+$/.test(raw.trim()) || !Number.isSafeInteger(n)) {
    throw new InvalidArgumentError(`"${raw}" is not a whole number ≥ 0.`);
  }
  return n;
}

function parseWait(raw: string): number {
  const n = Number(raw.trim());
  if (raw.trim() === "" || !Number.isFinite(n) || n < 0)
    throw new InvalidArgumentError(`"${raw}" is not a number of seconds ≥ 0.`);
  return n;
}

function parseCliDuration(raw: string, flag: string): number {
  try {
    return parseDuration(raw);
  } catch {
    throw new InvalidArgumentError(`"${raw}" is not a duration for ${flag}; use e.g. 90s, 30m, 2h or 1h30m.`);
  }
}

function parseCliFailIf(raw: string): TFailIf {
  try {
    return parseFailIf(raw);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message.replace(/^--fail-if /, ""));
  }
}

// ---- output ---------------------------------------------------------------------------

function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

function formatValue(v: unknown): string {
  if (v === null || v === undefined) return "-";
  if (typeof v === "number") return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(6)));
  if (typeof v === "string") return v;
  return JSON.stringify(v);
}

function formatParams(params: Record<string, unknown>): string {
  return Object.entries(params)
    .map(([k, v]) => `${k}=${formatValue(v)}`)
    .join(" ");
}

/**
 * Belt and braces for S10: whatever a message echoes (a mistyped flag, a URL, a server
 * sentence), an `agl_…` token in it is cut to its display prefix before it reaches stderr.
 */
export function redactTokens(text: string): string {
  return text.replace(/\bagl_([0-9A-Za-z]{4})[0-9A-Za-z]{4,}/g, "agl_$1…");
}

/** A plain aligned table; no colours, so it pipes cleanly. */
export function renderTable(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join("  ")
      .trimEnd();
  return `${[line(headers), ...rows.map(line)].join("\n")}\n`;
}

// ---- the program ------------------------------------------------------------------------

interface GlobalFlags {
  server?: string;
  token?: string;
}

/**
 * Runs the CLI and resolves to the exit code. Errors become one line on stderr (the stack
 * only with AUTOGLM_DEBUG=1); the token never reaches stdout or stderr.
 */
export async function runCli(argv: string[], io: CliIo = defaultIo): Promise<number> {
  const debug = io.env.AUTOGLM_DEBUG === "1";
  let exitCode = EXIT_OK;

  const program = new Command("autoglm");
  program
    .description("Open-AutoGLM command line: studies and the ask/tell loop, with an API token.")
    .version(version(), "-V, --version")
    .option("--server <url>", "server base URL (overrides AUTOGLM_SERVER and the stored config)")
    .option("--token <token>", "API token agl_… (overrides AUTOGLM_TOKEN and the stored config)")
    .showSuggestionAfterError(true)
    .configureOutput({
      writeOut: (s) => io.stdout(s),
      writeErr: (s) => io.stderr(redactTokens(s)),
      outputError: (s, write) => write(s.replace(/^error: /, "autoglm: ")),
    })
    .exitOverride()
    .addHelpText(
      "after",
      `
Config: flags > AUTOGLM_SERVER / AUTOGLM_TOKEN > ${configPath(io.env)} (written by \`autoglm login\`).
Exit codes: 0 ok, 1 failed, 2 usage error. AUTOGLM_DEBUG=1 prints stack traces.`,
    );

  /** Wraps an action: resolves config, builds a client, maps errors to exit 1. */
  const withClient =
    <A extends unknown[]>(fn: (client: AutoglmClient, ...args: A) => Promise<void>) =>
    async (...args: A): Promise<void> => {
      const cmd = args[args.length - 1] as Command;
      const flags = cmd.optsWithGlobals<GlobalFlags>();
      const config = await resolveConfig(flags, io.env);
      const client = createClient({ server: config.server, token: config.token });
      try {
        await fn(client, ...args);
      } catch (err) {
        if (err instanceof CommanderError) throw err;
        const e = toAutoglmError(err, client.server);
        if (e.isAuthError) {
          const from =
            config.source.token === "flag" ? "--token" : config.source.token === "env" ? "AUTOGLM_TOKEN" : configPath(io.env);
          throw new AutoglmError(e.code, `token rejected by ${client.server} (from ${from}): ${e.message}`, {
            ...(e.trpcCode ? { trpcCode: e.trpcCode } : {}),
            ...(e.httpStatus !== undefined ? { httpStatus: e.httpStatus } : {}),
            cause: e,
          });
        }
        throw e;
      }
    };

  // -- login
  program
    .command("login")
    .description("verify a token against a server and store both (mode 0600)")
    .option("--token-stdin", "read the token from standard input (keeps it out of shell history)")
    .action(async (opts: { tokenStdin?: boolean }, cmd: Command) => {
      const flags = cmd.optsWithGlobals<GlobalFlags>();
      const server = flags.server ?? io.env.AUTOGLM_SERVER;
      let token = flags.token ?? io.env.AUTOGLM_TOKEN;
      if (opts.tokenStdin) token = (await io.readStdin()).trim();
      if (!server || !token) {
        throw new CommanderError(
          EXIT_USAGE,
          "autoglm.usage",
          "autoglm: login needs --server URL and --token T (or --token-stdin)",
        );
      }
      const client = createClient({ server, token });
      const identity = await verifyToken(client);
      const path = configPath(io.env);
      await writeStoredConfig(path, { server: normalizeServer(server), token: token.trim() });
      io.stdout(`logged in to ${client.server}${identity ? ` as ${identity}` : ""}\nconfig saved to ${path}\n`);
    });

  // -- study
  const study = program
    .command("study")
    .description("create or apply (config as code), list, inspect, wait for and stop studies");

  study
    .command("create")
    .description("create a study from a YAML spec; prints the study id")
    .requiredOption("-f, --file <path>", "study spec YAML (- for standard input)")
    .requiredOption("-p, --project <project>", "project id or slug")
    .option("--json", "print {id} as JSON")
    .action(
      withClient(async (client, opts: { file: string; project: string; json?: boolean }) => {
        const source = opts.file === "-" ? "<stdin>" : opts.file;
        let text: string;
        try {
          text = opts.file === "-" ? await io.readStdin() : await readFile(opts.file, "utf8");
        } catch (err) {
          throw new AutoglmError(
            "USAGE",
            `cannot read ${source}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
          );
        }
        // Validate before resolving the project, so a bad spec costs no request at all.
        parseStudyYaml(text, source);
        const projectId = await client.projects.resolveId(opts.project);
        const { id } = await client.studies.create({ projectId, yaml: text });
        io.stdout(opts.json ? json({ id }) : `${id}\n`);
      }),
    );

  study
    .command("list")
    .description("list the team's studies")
    .option("-p, --project <project>", "only this project (id or slug)")
    .addOption(new Option("--state <state>", "only studies in this state").choices(["running", "stopped", "completed", "failed"]))
    .option("--json", "print JSON")
    .action(
      withClient(async (client, opts: { project?: string; state?: string; json?: boolean }) => {
        const projectId = opts.project ? await client.projects.resolveId(opts.project) : undefined;
        const filter = { ...(projectId ? { projectId } : {}), ...(opts.state ? { state: opts.state } : {}) };
        const rows = await client.studies.list(filter as Parameters<typeof client.studies.list>[0]);
        if (opts.json) return void io.stdout(json(rows));
        if (rows.length === 0) return void io.stdout("no studies\n");
        io.stdout(
          renderTable(
            ["ID", "NAME", "STATE", "TRIALS", "BEST", "OBJECTIVE", "CREATED"],
            rows.map((s) => [
              s.id,
              s.name,
              s.state,
              `${s.completeCount}/${s.trialCount}`,
              formatValue(s.bestValue),
              `${s.direction === "maximize" ? "max" : "min"} ${s.metric}`,
              String(s.createdAt).slice(0, 19).replace("T", " "),
            ]),
          ),
        );
      }),
    );

  study
    .command("show")
    .description("a study's state, trial counts and best trial")
    .argument("<study>", "study id")
    .option("--json", "print JSON")
    .action(
      withClient(async (client, studyId: string, opts: { json?: boolean }) => {
        const s = await client.studies.get(studyId);
        if (opts.json) return void io.stdout(json(s));
        const c = s.counts;
        io.stdout(
          `${s.name} (${s.id})\nstate: ${s.state}\ntrials: ${c.complete} complete, ${c.running} running, ${c.waiting} waiting, ${c.pruned} pruned, ${c.failed} failed\n` +
            (s.best
              ? `best: #${s.best.number} value ${formatValue(s.best.value)}  ${formatParams(s.best.params as Record<string, unknown>)}\n`
              : "best: none yet\n"),
        );
      }),
    );

  study
    .command("best")
    .description("the study's best trial so far")
    .argument("<study>", "study id")
    .option("--json", "print JSON ({trialId, number, value, params} or null)")
    .action(
      withClient(async (client, studyId: string, opts: { json?: boolean }) => {
        const best = await client.studies.best(studyId);
        if (opts.json) return void io.stdout(json(best));
        io.stdout(
          best
            ? `trial #${best.number} (${best.trialId}) value ${formatValue(best.value)}\n${formatParams(best.params as Record<string, unknown>)}\n`
            : "no completed trial yet\n",
        );
      }),
    );

  study
    .command("apply")
    .description(
      "config as code: create the study in a YAML file, or resume the project's study of that name (same space); prints its id",
    )
    .requiredOption("-f, --file <path>", "study spec YAML (- for standard input)")
    .requiredOption("-p, --project <project>", "project id or slug")
    .option("--name <name>", "the study's name instead of the file's (e.g. one per commit in CI)")
    .option("--json", "print {id, name, created, state, notApplied}")
    .action(
      withClient(async (client, opts: { file: string; project: string; name?: string; json?: boolean }) => {
        const source = opts.file === "-" ? "<stdin>" : opts.file;
        let text: string;
        try {
          text = opts.file === "-" ? await io.readStdin() : await readFile(opts.file, "utf8");
        } catch (err) {
          throw new AutoglmError(
            "USAGE",
            `cannot read ${source}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
          );
        }
        parseStudyYaml(text, source);
        const projectId = await client.projects.resolveId(opts.project);
        const r = await client.studies.apply({ projectId, yaml: text, ...(opts.name !== undefined ? { name: opts.name } : {}) });
        if (opts.json) return void io.stdout(json(r));
        io.stderr(`${r.created ? "created" : "resumed"} study "${r.name}" (${r.id})${r.created ? "" : `, ${r.state}`}\n`);
        for (const d of r.notApplied) io.stderr(`autoglm: not applied (the stored spec is kept): ${d}\n`);
        io.stdout(`${r.id}\n`);
      }),
    );

  study
    .command("wait")
    .description("follow a study until it ends: exit 0 when it completes, 1 when it fails, is stopped or times out")
    .argument("<study>", "study id")
    .option("--timeout <duration>", "give up after this long (90s, 30m, 2h, 1h30m); default: no limit", (v: string) =>
      parseCliDuration(v, "--timeout"),
    )
    .option(
      "--fail-if <condition>",
      'exit 1 when the completed study\'s best value meets this, e.g. "best > 0.1"',
      parseCliFailIf,
    )
    .option("--interval <duration>", "how often to poll (default 5s)", (v: string) => parseCliDuration(v, "--interval"), 5)
    .option("--json", "print {id, state, counts, best, ok, summary, failIf} at the end")
    .action(
      withClient(
        async (client, studyId: string, opts: { timeout?: number; failIf?: TFailIf; interval: number; json?: boolean }) => {
          const r = await waitForStudy(client, studyId, {
            ...(opts.timeout !== undefined ? { timeoutSeconds: opts.timeout } : {}),
            ...(opts.failIf ? { failIf: opts.failIf } : {}),
            intervalSeconds: Math.max(opts.interval, 0.05),
            progress: (line) => io.stderr(`${line}\n`),
          });
          if (opts.json) {
            const s = r.study;
            io.stdout(
              json({
                id: s.id,
                name: s.name,
                state: s.state,
                counts: s.counts,
                best: s.best,
                ok: r.ok,
                summary: r.summary,
                ...(r.failIf ? { failIf: r.failIf } : {}),
              }),
            );
          } else {
            io.stdout(`${r.summary}\n`);
          }
          if (!r.ok) exitCode = EXIT_FAILURE;
        },
      ),
    );

  study
    .command("stop")
    .description("stop a study: no more trials; running ones are stopped (agents end their processes) and marked failed")
    .argument("<study>", "study id")
    .option("--json", "print {ok}")
    .action(
      withClient(async (client, studyId: string, opts: { json?: boolean }) => {
        await client.studies.stop(studyId);
        io.stdout(opts.json ? json({ ok: true }) : `stopped ${studyId}\n`);
      }),
    );

  // -- trial
  const trial = program.command("trial").description("the ask/tell loop: ask for a trial, report, tell");

  trial
    .command("ask")
    .description("lease a new trial of a study; report renews the lease")
    .argument("<study>", "study id")
    .option("--json", "print {trialId, number, params, leaseExpiresAt}")
    .option("--wait [seconds]", "while budget.max_parallel trials are in flight, wait for a free slot (default 600 s)", parseWait)
    .action(
      withClient(async (client, studyId: string, opts: { json?: boolean; wait?: number | true }) => {
        const t =
          opts.wait === undefined
            ? await client.trials.ask(studyId)
            : await client.trials.askWhenFree(studyId, { maxWaitMs: (opts.wait === true ? 600 : opts.wait) * 1000 });
        if (opts.json) {
          return void io.stdout(
            json({ trialId: t.trialId, number: t.number, params: t.params, leaseExpiresAt: t.leaseExpiresAt }),
          );
        }
        io.stdout(
          `trial #${t.number} ${t.trialId} (lease until ${t.leaseExpiresAt})\n${formatParams(t.params as Record<string, unknown>)}\n`,
        );
      }),
    );

  trial
    .command("report")
    .description("report an intermediate value; prints `prune` when the pruner says stop, else `continue`")
    .argument("<trial>", "trial id")
    .requiredOption("--step <n>", "step (integer ≥ 0)", parseStep)
    .requiredOption("--value <v>", "intermediate value (finite number)", parseFinite)
    .option("--json", "print {prune, reason}: reason says why, when prune is true")
    .action(
      withClient(async (client, trialId: string, opts: { step: number; value: number; json?: boolean }) => {
        const r = await client.trials.report(trialId, opts.step, opts.value);
        io.stdout(opts.json ? json(r) : r.prune ? "prune\n" : "continue\n");
      }),
    );

  trial
    .command("tell")
    .description("finish a trial: --value V (complete), --failed [reason] or --pruned [reason]")
    .argument("<trial>", "trial id")
    .option("--value <v>", "the objective value (finite number)", parseFinite)
    .option("--failed [reason]", "mark the trial failed, with an optional reason")
    .option("--pruned [reason]", "mark the trial pruned, with an optional reason (e.g. the one `report --json` gave)")
    .option("--json", "print {ok}")
    .action(
      async (
        trialId: string,
        opts: { value?: number; failed?: string | boolean; pruned?: string | boolean; json?: boolean },
        cmd: Command,
      ) => {
        // Checked before the config is read: a wrong command line is exit 2 whatever the setup.
        const chosen = [opts.value !== undefined, opts.failed !== undefined, opts.pruned !== undefined].filter(Boolean).length;
        if (chosen !== 1) {
          throw new CommanderError(
            EXIT_USAGE,
            "autoglm.usage",
            "autoglm: trial tell needs exactly one of --value V, --failed [reason], --pruned [reason]",
          );
        }
        await withClient(async (client, _cmd: Command) => {
          let state: string;
          if (opts.value !== undefined) {
            await client.trials.tell(trialId, opts.value);
            state = `complete (value ${formatValue(opts.value)})`;
          } else if (opts.failed !== undefined) {
            await client.trials.fail(trialId, typeof opts.failed === "string" ? opts.failed : undefined);
            state = "failed";
          } else {
            await client.trials.prune(trialId, typeof opts.pruned === "string" ? opts.pruned : undefined);
            state = "pruned";
          }
          io.stdout(opts.json ? json({ ok: true }) : `trial ${trialId} ${state}\n`);
        })(cmd);
      },
    );

  trial
    .command("stop")
    .description("stop a running or queued trial (an agent's process gets SIGTERM); it ends failed, USER_STOPPED")
    .argument("<trial>", "trial id")
    .option("--json", "print {ok}")
    .action(
      withClient(async (client, trialId: string, opts: { json?: boolean }) => {
        await client.trials.stop(trialId);
        io.stdout(opts.json ? json({ ok: true }) : `stopped trial ${trialId}\n`);
      }),
    );

  // -- agent: `list` is ours (a read over the API); `start` belongs to @autoglm/agent.
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
        if (unknown.length > 0) {
          throw new CommanderError(
            EXIT_USAGE,
            "autoglm.usage",
            `autoglm: agent list takes only --json (got ${unknown.join(" ")})`,
          );
        }
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
      exitCode = await delegateToAgent(forwarded, io);
    });

  try {
    await program.parseAsync(argv, { from: "user" });
    return exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Commander printed its own message (help, version, usage error); ours carry theirs.
      if (err.code === "autoglm.usage") io.stderr(`${err.message}\n`);
      // `--help` and `--version` exit 0; anything else, `autoglm study` alone included, is a usage error.
      return err.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
    }
    const e = toAutoglmError(err);
    if (e.code === "USAGE") {
      io.stderr(redactTokens(`autoglm: ${e.message}\n`));
      return EXIT_USAGE;
    }
    io.stderr(redactTokens(`autoglm: error: ${e.message}${e.code && e.code !== "INTERNAL" ? ` [${e.code}]` : ""}\n`));
    if (debug) io.stderr(redactTokens(`${(err as Error)?.stack ?? String(err)}\n`));
    return EXIT_FAILURE;
  }
}

type AgentRow = Awaited<ReturnType<AutoglmClient["agents"]["list"]>>[number];

function formatMb(mb: number): string {
  if (!mb) return "-";
  return mb >= 1024 ? `${Math.round(mb / 1024)}G` : `${mb}M`;
}

/** Seconds/minutes/hours since an ISO time, like the dashboard's "12 s ago". */
function ago(iso: string | null, now = Date.now()): string {
  if (!iso) return "never";
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (!Number.isFinite(s)) return "-";
  return s < 60
    ? `${s}s ago`
    : s < 3600
      ? `${Math.round(s / 60)}m ago`
      : s < 86400
        ? `${Math.round(s / 3600)}h ago`
        : `${Math.round(s / 86400)}d ago`;
}

function printAgents(rows: AgentRow[], asJson: boolean, io: CliIo): void {
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
        a.gpus.length === 0
          ? "-"
          : `${a.gpusInUse}/${a.gpus.length} ` +
            a.gpus
              .map(
                (g) =>
                  `${g.model} ${formatMb(g.memoryMb)}${g.utilizationPct !== null ? ` ${Math.round(g.utilizationPct)}%` : ""}`,
              )
              .join(", "),
        Object.entries(a.labels)
          .sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0))
          .map(([k, v]) => `${k}=${v}`)
          .join(",") || "-",
        ago(a.lastHeartbeatAt),
        a.running.map((t) => `${t.studyName}#${t.number}`).join(",") || "-",
      ]),
    ),
  );
}

/**
 * Who the token belongs to, or undefined when the server does not say. Throws
 * "token rejected" when the server refuses it.
 */
async function verifyToken(client: AutoglmClient): Promise<string | undefined> {
  const rejected = (e: AutoglmError) =>
    new AutoglmError(e.code, `token rejected by ${client.server}: ${e.message}`, {
      ...(e.trpcCode ? { trpcCode: e.trpcCode } : {}),
      cause: e,
    });
  try {
    const me = await client.me();
    // A token belongs to one team, but auth.me lists all of the user's: name it only when unambiguous.
    const org = me.orgs.length === 1 ? me.orgs[0] : undefined;
    return `${me.user.email}${org ? ` (team ${org.name})` : ""}`;
  } catch (err) {
    const e = toAutoglmError(err, client.server);
    if (e.isAuthError) throw rejected(e);
    if (e.code === "UNREACHABLE" || e.code === "BAD_RESPONSE") throw e;
  }
  // auth.me may be closed to tokens or to this token's scopes; any authenticated answer
  // (even FORBIDDEN for a scope) proves the token is real.
  try {
    await client.projects.list();
  } catch (err) {
    const e = toAutoglmError(err, client.server);
    if (e.isAuthError) throw rejected(e);
    if (e.trpcCode !== "FORBIDDEN") throw e;
  }
  return undefined;
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
    // Stub until the run-loop issue ships packages/agent.
    io.stderr("autoglm: agent support arrives with the run-loop (install @autoglm/agent once it ships)\n");
    return EXIT_FAILURE;
  }
  return await mod.runAgentCli(args);
}
