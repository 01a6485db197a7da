#!/usr/bin/env node
// The seeded demo study's training command: a fake "training run" whose loss converges on
// the Branin function at the trial's (x1, x2), reported with the metric-line protocol so
// the dashboard shows live curves and the median pruner has something to cut.
const params = JSON.parse(process.env.AUTOGLM_PARAMS ?? "{}");
const x1 = Number(params.x1);
const x2 = Number(params.x2);
if (!Number.isFinite(x1) || !Number.isFinite(x2)) {
  console.error("branin-curve: AUTOGLM_PARAMS must hold numbers x1 and x2");
  process.exit(2);
}
const b = 5.1 / (4 * Math.PI * Math.PI);
const c = 5 / Math.PI;
const t = 1 / (8 * Math.PI);
const final = (x2 - b * x1 * x1 + c * x1 - 6) ** 2 + 10 * (1 - t) * Math.cos(x1) + 10;

const stepMs = Number(process.env.DEMO_STEP_MS ?? 600);
process.on("SIGTERM", () => process.exit(0));
for (let step = 0; step < 5; step++) {
  await new Promise((r) => setTimeout(r, stepMs));
  const loss = final * (1 + (4 - step) * 0.25);
  console.log(`epoch ${step}: loss ${loss.toFixed(4)}`);
  console.log(JSON.stringify({ autoglm: 1, step, metrics: { loss } }));
}
console.log(JSON.stringify({ autoglm: 1, final: { loss: final } }));
