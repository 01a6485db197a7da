export {
  createClient,
  isStudyEnded,
  isUuid,
  normalizeServer,
  TrialPruned,
  type AgentSummary,
  type AskedTrial,
  type AutoglmClient,
  type ClientOptions,
  type Objective,
  type OptimizeOptions,
  type OptimizeResult,
  type OptimizeTrial,
  type OptimizeTrialResult,
  type ProjectSummary,
  type RouterInputs,
  type RouterOutputs,
  type StudyBest,
  type StudyDetail,
  type StudySummary,
  type TrialState,
} from "./client.js";
export { AutoglmError, isAutoglmError, toAutoglmError } from "./errors.js";
export { parseStudyYaml, validateStudySpec } from "./spec.js";
export { configPath, readStoredConfig, resolveConfig, writeStoredConfig, type StoredConfig } from "./config.js";
