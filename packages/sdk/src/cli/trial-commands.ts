import type { Command } from "commander";
import type { AutoglmClient } from "../client.js";
import {
  collectMetric,
  parseFinite,
  parseFiniteList,
  parseParamsJson,
  parseStep,
  parseWait,
  STUDY_ARGUMENT,
  TRIAL_ARGUMENT,
} from "./args.js";
import { usageError, type CliContext } from "./context.js";
import { formatParams, formatValue, json } from "./output.js";
import { trialText } from "./trial-text.js";

/** `autoglm trial …`: the ask/tell loop (ask for a trial, report, tell) and stopping a trial. */
export function registerTrialCommands(program: Command, ctx: CliContext): void {
  const trial = program.command("trial").description("the ask/tell loop: ask for a trial, report, tell");
  registerAsk(trial, ctx);
  registerEnqueue(trial, ctx);
  registerReport(trial, ctx);
  registerTell(trial, ctx);
  registerStop(trial, ctx);
  registerGet(trial, ctx);
}

function registerAsk(trial: Command, { io, withClient }: CliContext): void {
  trial
    .command("ask")
    .description("lease a new trial of a study; report renews the lease")
    .argument("<study>", STUDY_ARGUMENT)
    .option("--json", "print {trialId, number, params, leaseExpiresAt}")
    .option("--wait [seconds]", "while budget.max_parallel trials are in flight, wait for a free slot (default 600 s)", parseWait)
    .action(
      withClient(async (client, ref: string, opts: { json?: boolean; wait?: number | true }) => {
        const studyId = await client.studies.resolveId(ref);
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
}

function registerEnqueue(trial: Command, { io, withClient }: CliContext): void {
  trial
    .command("enqueue")
    .description("queue a trial with exactly these params: the study's next ask or agent lease gets it")
    .argument("<study>", STUDY_ARGUMENT)
    .requiredOption("--params <json>", 'the params as a JSON object, e.g. \'{"lr": 0.01, "layers": 3}\'', parseParamsJson)
    .option("--json", "print {trialId, number, params}")
    .action(
      withClient(async (client, ref: string, opts: { params: Record<string, string | number | boolean>; json?: boolean }) => {
        const studyId = await client.studies.resolveId(ref);
        const t = await client.trials.enqueue(studyId, opts.params);
        if (opts.json) return void io.stdout(json({ trialId: t.trialId, number: t.number, params: t.params }));
        io.stdout(`trial #${t.number} ${t.trialId} enqueued\n${formatParams(t.params as Record<string, unknown>)}\n`);
      }),
    );
}

function registerReport(trial: Command, { io, withClient }: CliContext): void {
  trial
    .command("report")
    .description("report an intermediate value; prints `prune` when the pruner says stop, else `continue`")
    .argument("<trial>", TRIAL_ARGUMENT)
    .requiredOption("--step <n>", "step (integer ≥ 0)", parseStep)
    .requiredOption("--value <v>", "intermediate value (finite number)", parseFinite)
    .option("--json", "print {prune, reason}: reason says why, when prune is true")
    .action(
      withClient(async (client, ref: string, opts: { step: number; value: number; json?: boolean }) => {
        const trialId = await client.trials.resolveId(ref);
        const r = await client.trials.report(trialId, opts.step, opts.value);
        io.stdout(opts.json ? json(r) : r.prune ? "prune\n" : "continue\n");
      }),
    );
}

interface TellOptions {
  value?: number;
  values?: number[];
  metric?: Record<string, number>;
  failed?: string | boolean;
  pruned?: string | boolean;
  json?: boolean;
}

function registerTell(trial: Command, { io, withClient }: CliContext): void {
  trial
    .command("tell")
    .description("finish a trial: --value V or --values A,B (complete), --failed [reason] or --pruned [reason]")
    .argument("<trial>", TRIAL_ARGUMENT)
    .option("--value <v>", "the objective value (finite number)", parseFinite)
    .option("--values <a,b>", "one value per objective, in the spec's order (multi-objective studies)", parseFiniteList)
    .option("--metric <name=value>", "a constrained metric's value, e.g. memory_gb=12 (repeatable)", collectMetric)
    .option("--failed [reason]", "mark the trial failed, with an optional reason")
    .option("--pruned [reason]", "mark the trial pruned, with an optional reason (e.g. the one `report --json` gave)")
    .option("--json", "print {ok}")
    .action(async (ref: string, opts: TellOptions, cmd: Command) => {
      // Checked before the config is read: a wrong command line is exit 2 whatever the setup.
      const chosen = [opts.value !== undefined, opts.values !== undefined, opts.failed !== undefined, opts.pruned !== undefined];
      if (chosen.filter(Boolean).length !== 1)
        throw usageError(
          "autoglm: trial tell needs exactly one of --value V, --values A,B, --failed [reason], --pruned [reason]",
        );
      await withClient(async (client, _cmd: Command) => {
        const trialId = await client.trials.resolveId(ref);
        const state = await tell(client, trialId, opts);
        io.stdout(opts.json ? json({ ok: true }) : `trial ${trialId} ${state}\n`);
      })(cmd);
    });
}

/** Ends the trial the way the flags say; resolves to the state as the CLI prints it. */
async function tell(client: AutoglmClient, trialId: string, opts: TellOptions): Promise<string> {
  const told = opts.values ?? opts.value;
  if (told !== undefined) {
    await client.trials.tell(trialId, told, opts.metric ? { metrics: opts.metric } : {});
    return Array.isArray(told)
      ? `complete (values ${told.map(formatValue).join(", ")})`
      : `complete (value ${formatValue(told)})`;
  }
  if (opts.failed !== undefined) {
    await client.trials.fail(trialId, typeof opts.failed === "string" ? opts.failed : undefined);
    return "failed";
  }
  await client.trials.prune(trialId, typeof opts.pruned === "string" ? opts.pruned : undefined);
  return "pruned";
}

function registerStop(trial: Command, { io, withClient }: CliContext): void {
  trial
    .command("stop")
    .description("stop a running or queued trial (an agent's process gets SIGTERM); it ends failed, USER_STOPPED")
    .argument("<trial>", TRIAL_ARGUMENT)
    .option("--json", "print {ok}")
    .action(
      withClient(async (client, ref: string, opts: { json?: boolean }) => {
        const trialId = await client.trials.resolveId(ref);
        await client.trials.stop(trialId);
        io.stdout(opts.json ? json({ ok: true }) : `stopped trial ${trialId}\n`);
      }),
    );
}

function registerGet(trial: Command, { io, withClient }: CliContext): void {
  trial
    .command("get")
    .description("a trial's state, value(s), feasibility and constraint violations, params and attempts")
    .argument("<trial>", TRIAL_ARGUMENT)
    .option("--json", "print JSON (values, feasible, constraintValues included)")
    .action(
      withClient(async (client, ref: string, opts: { json?: boolean }) => {
        const trialId = await client.trials.resolveId(ref);
        const t = await client.trials.get(trialId);
        if (opts.json) return void io.stdout(json(t));
        io.stdout(trialText(t));
      }),
    );
}
