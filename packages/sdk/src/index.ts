export { createClient, type AutoglmClient, type ClientOptions } from "./client.js";
export { isUuid, normalizeServer } from "./server-url.js";
export {
  isStudyEnded,
  TrialPruned,
  type Objective,
  type OptimizeOptions,
  type OptimizeResult,
  type OptimizeTrial,
  type OptimizeTrialResult,
} from "./optimize.js";
export type {
  AgentSummary,
  AskedTrial,
  DeployResult,
  EndpointDetail,
  EndpointKey,
  EndpointSummary,
  ModelAliasMove,
  ModelDetail,
  ModelSummary,
  ModelVersion,
  ProjectSummary,
  RouterInputs,
  RouterOutputs,
  StudyBest,
  StudyDetail,
  StudySummary,
  TrialState,
} from "./router-types.js";
export { AutoglmError, isAutoglmError, toAutoglmError } from "./errors.js";
export { parseStudyYaml, validateStudySpec } from "./spec.js";
export { configPath, readStoredConfig, resolveConfig, writeStoredConfig, type StoredConfig } from "./config.js";
export { canonicalManifest, manifestDigest, type TManifestEntry } from "./model-manifest.js";
export {
  downloadModelVersion,
  safeTargetPath,
  type TDownloadedFile,
  type TDownloadedVersion,
  type TDownloadOptions,
  type TDownloadProgress,
} from "./model-download.js";
export { absoluteEndpointUrl, type DeployInput, type DeployOptions } from "./endpoint-calls.js";
