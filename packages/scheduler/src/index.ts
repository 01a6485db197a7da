// @autoglm/scheduler — the trial lifecycle.
// Ask/tell (API users evaluate trials themselves):
export { askTrial, askLeaseMs, type TAskedTrialResult } from "./ask-trial.js";
export { enqueueTrial, type TEnqueuedTrial } from "./enqueue-trial.js";
export { loadWarmStart, WARM_START_ID_BASE, type TWarmStart } from "./warm-start.js";
export { reportTrial } from "./report-trial.js";
export { renewAskLease } from "./renew-ask-lease.js";
export { tellTrial, type TTellState } from "./tell-trial.js";
export { stopStudy } from "./stop-study.js";
export { stopUserTrial, type TStopAgentTrial } from "./stop-user-trial.js";
export { sweepExpiredAskLeases } from "./sweep-ask-leases.js";
export { rebuildOptimizer, historyTrialsOf } from "./ask-optimizer.js";
export { optimizerConfigOf } from "./optimizer-config.js";
export { loadSamplerPlugins } from "./sampler-plugins.js";
export type { TParetoAnswer } from "./optimizer-task.js";
export { OptimizerPool, sharedOptimizerPool, OPTIMIZER_TIMEOUT_MS, type TOptimizerPoolOptions } from "./optimizer-pool.js";
export { StudyHistoryCache, studyHistories } from "./study-history.js";
export { seedDemoStudy, seedDigitsDemoStudy, DEMO_STUDY_SPEC, DIGITS_DEMO_STUDY_SPEC, branin } from "./seed-demo-study.js";
export { SchedulerError, type TSchedulerErrorCode, type TAskTellDeps, type TAskTellConfig, type TActor } from "./ask-types.js";
// The run loop's agent side (leasing, the gateway, the scheduler loop):
export * from "./index-agents.js";
