export { runAgentCli, type AgentCliIo } from "./run-cli.js";
export {
  startAgent,
  randomAgentName,
  type AgentOptions,
  type RunningAgent,
  type RunningReplicaInfo,
  type RunningTrialInfo,
} from "./agent.js";
export { renderCommand, formatValue } from "./command.js";
export { buildTrialEnv, redact, DEFAULT_ENV_ALLOWLIST } from "./env.js";
export { detectGpus, parseNvidiaSmi, parseGpuUse, readGpuUse, describeMachine } from "./system.js";
export { PRUNE_MARKER, type StopReason } from "./trial-runner.js";
export { AccessChecker, describeNoAccess, type AccessNeed } from "./trial-access.js";
export { defaultTrialUser, describeUser, parseRunAs, NOBODY, type TrialUser } from "./trial-user.js";
export { ownTempDir } from "./own-temp-dir.js";
