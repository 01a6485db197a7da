/**
 * The ask/tell loop with the typed client.
 *
 *   export AUTOGLM_SERVER=http://127.0.0.1:3000 AUTOGLM_TOKEN=agl_...
 *   npx tsx examples/ask-tell.ts STUDY_ID [N_TRIALS]
 *
 * Without the two variables it uses what `autoglm login` stored.
 */
import { createClient, resolveConfig, TrialPruned, type OptimizeTrial } from "@autoglm/sdk";

/** A stand-in for training: a bowl over the numeric params, "trained" in 3 steps. */
async function objective(trial: OptimizeTrial): Promise<number> {
  let loss = 0;
  for (const [name, v] of Object.entries(trial.params as Record<string, unknown>)) {
    if (typeof v !== "number") continue;
    loss += name === "lr" && v > 0 ? Math.log10(v) ** 2 : (v - 1) ** 2 / 10;
  }
  for (let step = 0; step < 3; step++) {
    const shouldPrune = await trial.report(step, loss * (1 + 1 / (step + 1)));
    if (shouldPrune) throw new TrialPruned();
  }
  return loss;
}

async function main(): Promise<void> {
  const [studyId, nTrialsArg] = process.argv.slice(2);
  if (!studyId) {
    console.error("usage: ask-tell.ts STUDY_ID [N_TRIALS]");
    process.exit(2);
  }
  const { server, token } = await resolveConfig({});
  const client = createClient({ server, token });
  const result = await client.optimize(studyId, objective, {
    nTrials: Number(nTrialsArg ?? 10),
    onTrialEnd: (t) => console.log(`trial #${t.number} ${t.state}${t.value === null ? "" : ` value ${t.value.toPrecision(6)}`}`),
  });
  console.log(
    result.best
      ? `best: trial #${result.best.number} value ${result.best.value} params ${JSON.stringify(result.best.params)}`
      : "best: no completed trial yet",
  );
}

main().catch((err: unknown) => {
  // AutoglmError's message is the server's sentence; never a stack unless asked for.
  console.error(`ask-tell: error: ${err instanceof Error ? err.message : String(err)}`);
  if (process.env.AUTOGLM_DEBUG === "1") console.error(err);
  process.exit(1);
});
