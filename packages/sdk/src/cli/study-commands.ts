import { readFile } from "node:fs/promises";
import { Writable } from "node:stream";
import { nameMatches } from "@autoglm/protocol";
import { type Command, Option } from "commander";
import { AutoglmError } from "../errors.js";
import { parseStudyYaml } from "../spec.js";
import { waitForStudy, type TFailIf } from "../study-wait.js";
import { parseCliDuration, parseCliFailIf, STUDY_ARGUMENT } from "./args.js";
import { EXIT_FAILURE, type CliContext, type CliIo } from "./context.js";
import { formatBytes } from "./download-progress.js";
import { formatParams, formatValue, json, renderTable } from "./output.js";

/** `autoglm study …`: create or apply (config as code), list, inspect, wait for and stop studies. */
export function registerStudyCommands(program: Command, ctx: CliContext): void {
  const study = program
    .command("study")
    .description("create or apply (config as code), list, inspect, wait for and stop studies");
  registerCreate(study, ctx);
  registerList(study, ctx);
  registerShow(study, ctx);
  registerBest(study, ctx);
  registerApply(study, ctx);
  registerWait(study, ctx);
  registerStop(study, ctx);
  registerExport(study, ctx);
}

/** The spec file's text and the name errors give it (`-` is standard input). */
async function readSpec(io: CliIo, file: string): Promise<{ text: string; source: string }> {
  const source = file === "-" ? "<stdin>" : file;
  try {
    return { text: file === "-" ? await io.readStdin() : await readFile(file, "utf8"), source };
  } catch (err) {
    throw new AutoglmError("USAGE", `cannot read ${source}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

function registerCreate(study: Command, { io, withClient }: CliContext): void {
  study
    .command("create")
    .description("create a study from a YAML spec; prints the study id")
    .requiredOption("-f, --file <path>", "study spec YAML (- for standard input)")
    .requiredOption("-p, --project <project>", "project id or slug")
    .option("--json", "print {id} as JSON")
    .action(
      withClient(async (client, opts: { file: string; project: string; json?: boolean }) => {
        const { text, source } = await readSpec(io, opts.file);
        // Validate before resolving the project, so a bad spec costs no request at all.
        parseStudyYaml(text, source);
        const projectId = await client.projects.resolveId(opts.project);
        const { id } = await client.studies.create({ projectId, yaml: text });
        io.stdout(opts.json ? json({ id }) : `${id}\n`);
      }),
    );
}

function registerList(study: Command, { io, withClient }: CliContext): void {
  study
    .command("list")
    .description("list the team's studies")
    .option("-p, --project <project>", "only this project (id or slug)")
    .addOption(new Option("--state <state>", "only studies in this state").choices(["running", "stopped", "completed", "failed"]))
    .option("--filter <words>", "only studies whose name holds every word, in any order and case (as the dashboard's filter)")
    .option("--json", "print JSON")
    .action(
      withClient(async (client, opts: { project?: string; state?: string; filter?: string; json?: boolean }) => {
        const projectId = opts.project ? await client.projects.resolveId(opts.project) : undefined;
        const filter = { ...(projectId ? { projectId } : {}), ...(opts.state ? { state: opts.state } : {}) };
        const listed = await client.studies.list(filter as Parameters<typeof client.studies.list>[0]);
        const rows = opts.filter ? listed.filter((s) => nameMatches(s.name, opts.filter!)) : listed;
        if (opts.json) return void io.stdout(json(rows));
        if (rows.length === 0) return void io.stdout(opts.filter ? `no study matches "${opts.filter}"\n` : "no studies\n");
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
}

function registerShow(study: Command, { io, withClient }: CliContext): void {
  study
    .command("show")
    .description("a study's state, trial counts and best trial")
    .argument("<study>", STUDY_ARGUMENT)
    .option("--json", "print JSON")
    .action(
      withClient(async (client, ref: string, opts: { json?: boolean }) => {
        const studyId = await client.studies.resolveId(ref);
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
}

function registerBest(study: Command, { io, withClient }: CliContext): void {
  study
    .command("best")
    .description("the study's best trial so far; a multi-objective study's Pareto set")
    .argument("<study>", STUDY_ARGUMENT)
    .option("--json", "print JSON ({trialId, number, value, params} or null; with several objectives also pareto: [...])")
    .action(
      withClient(async (client, ref: string, opts: { json?: boolean }) => {
        const studyId = await client.studies.resolveId(ref);
        const best = await client.studies.best(studyId);
        if (opts.json) return void io.stdout(json(best));
        if (!best) return void io.stdout("no completed trial yet\n");
        if (best.pareto) {
          const lines = best.pareto.map(
            (p) =>
              `trial #${p.number} (${p.trialId}) values ${p.values.map(formatValue).join(", ")}\n${formatParams(p.params)}\n`,
          );
          return void io.stdout(
            `Pareto set: ${best.pareto.length} trial${best.pareto.length === 1 ? "" : "s"}\n${lines.join("")}`,
          );
        }
        io.stdout(
          `trial #${best.number} (${best.trialId}) value ${formatValue(best.value)}\n${formatParams(best.params as Record<string, unknown>)}\n`,
        );
      }),
    );
}

function registerApply(study: Command, { io, withClient }: CliContext): void {
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
        const { text, source } = await readSpec(io, opts.file);
        parseStudyYaml(text, source);
        const projectId = await client.projects.resolveId(opts.project);
        const r = await client.studies.apply({ projectId, yaml: text, ...(opts.name !== undefined ? { name: opts.name } : {}) });
        if (opts.json) return void io.stdout(json(r));
        io.stderr(`${r.created ? "created" : "resumed"} study "${r.name}" (${r.id})${r.created ? "" : `, ${r.state}`}\n`);
        for (const d of r.notApplied) io.stderr(`autoglm: not applied (the stored spec is kept): ${d}\n`);
        io.stdout(`${r.id}\n`);
      }),
    );
}

interface WaitOptions {
  timeout?: number;
  failIf?: TFailIf;
  interval: number;
  json?: boolean;
}

function registerWait(study: Command, { io, withClient, setExitCode }: CliContext): void {
  study
    .command("wait")
    .description("follow a study until it ends: exit 0 when it completes, 1 when it fails, is stopped or times out")
    .argument("<study>", STUDY_ARGUMENT)
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
      withClient(async (client, ref: string, opts: WaitOptions) => {
        const studyId = await client.studies.resolveId(ref);
        const r = await waitForStudy(client, studyId, {
          ...(opts.timeout !== undefined ? { timeoutSeconds: opts.timeout } : {}),
          ...(opts.failIf ? { failIf: opts.failIf } : {}),
          intervalSeconds: Math.max(opts.interval, 0.05),
          progress: (line) => io.stderr(`${line}\n`),
        });
        if (opts.json) {
          const { id, name, state, counts, best } = r.study;
          io.stdout(
            json({ id, name, state, counts, best, ok: r.ok, summary: r.summary, ...(r.failIf ? { failIf: r.failIf } : {}) }),
          );
        } else {
          io.stdout(`${r.summary}\n`);
        }
        if (!r.ok) setExitCode(EXIT_FAILURE);
      }),
    );
}

function registerStop(study: Command, { io, withClient }: CliContext): void {
  study
    .command("stop")
    .description("stop a study: no more trials; running ones are stopped (agents end their processes) and marked failed")
    .argument("<study>", STUDY_ARGUMENT)
    .option("--json", "print {ok}")
    .action(
      withClient(async (client, ref: string, opts: { json?: boolean }) => {
        const studyId = await client.studies.resolveId(ref);
        await client.studies.stop(studyId);
        io.stdout(opts.json ? json({ ok: true }) : `stopped ${studyId}\n`);
      }),
    );
}

/** Studies this big take seconds to export: below it a progress line would only flicker. */
const EXPORT_PROGRESS_MIN_TRIALS = 5000;

function registerExport(study: Command, { io, withClient }: CliContext): void {
  study
    .command("export")
    .description("every trial of a study (number, state, params, value, times, last metrics) as CSV or JSON")
    .argument("<study>", STUDY_ARGUMENT)
    .addOption(new Option("--format <format>", "csv or json").choices(["csv", "json"]).default("csv"))
    .option("-o, --output <file>", "write to FILE instead of standard output")
    .action(
      withClient(async (client, ref: string, opts: { format: "csv" | "json"; output?: string }) => {
        const studyId = await client.studies.resolveId(ref);
        let last = 0;
        const onProgress = (p: { trials: number; total: number; bytes: number }) => {
          const now = Date.now();
          if (p.total < EXPORT_PROGRESS_MIN_TRIALS || now - last < 200) return;
          last = now;
          // A terminal gets one line redrawn in place; a log gets a line every 200 ms at most.
          io.stderr(
            `${io.stderrIsTTY ? "\r" : ""}exporting: ${p.trials} of ${p.total} trials, ${formatBytes(p.bytes)}${io.stderrIsTTY ? "\x1b[K" : "\n"}`,
          );
        };
        const target = opts.output ?? new StdoutText(io);
        const r = await client.studies.export(studyId, opts.format, target, { onProgress });
        if (io.stderrIsTTY && last > 0) io.stderr("\n");
        if (opts.output) io.stderr(`exported ${r.total} trials (${formatBytes(r.bytes)}) to ${opts.output}\n`);
      }),
    );
}

/** The CLI's stdout as a stream: the export's bytes go out chunk by chunk as they arrive. */
class StdoutText extends Writable {
  private readonly decoder = new TextDecoder();
  constructor(private readonly io: CliIo) {
    super();
  }
  override _write(chunk: Buffer, _enc: BufferEncoding, done: (err?: Error | null) => void): void {
    const text = this.decoder.decode(chunk, { stream: true });
    if (text) this.io.stdout(text);
    done();
  }
}
