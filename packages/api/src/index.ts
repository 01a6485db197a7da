// @autoglm/api — the tRPC router, its context and the domain functions the web/server need.
export { appRouter, type AppRouter, type RouterInputs, type RouterOutputs } from "./router.js";
export {
  createContext,
  resolveApiToken,
  resolveApiOptions,
  headerGetterOf,
  nodeHeaderGetter,
  type Context,
  type TApiDeps,
  type TApiOptions,
  type TWebhookApiOptions,
  type TRunLoopHooks,
  type TProcedureCall,
  type TPrincipal,
  type TSessionClaims,
} from "./context.js";
export {
  createStandaloneHandler,
  handleTrpcFetch,
  createFetchContext,
  createCaller,
  createServerCaller,
  MAX_BODY_BYTES,
  MAX_BATCH_SIZE,
} from "./http.js";
export { publicProcedure, protectedProcedure, orgProcedure, router, describeZodIssues } from "./trpc.js";
export { AppError, APP_CODES, toAppError, type TAppCode } from "./errors.js";
export {
  type TEventSink,
  type TDomainEvent,
  type TAccessRevokedEvent,
  accessRevoked,
  nullEvents,
  createMemoryEvents,
} from "./events.js";
export { PLATFORM_KEY, type PlatformHandle, type PlatformEvents } from "./platform-handle.js";
export { hashPassword, verifyPassword } from "./auth/password.js";
export {
  authenticateCredentials,
  checkSignInLimit,
  verifySessionUser,
  DEFAULT_SIGN_IN_LIMITS,
  type TSignInLimits,
  type TAuthenticatedUser,
} from "./auth/credentials.js";
export { signInWithOidc, type TOidcClaims } from "./auth/oidc.js";
export { startUserSession, endUserSession, SESSION_MAX_AGE_MS } from "./auth/sessions.js";
export { DEFAULT_SIGN_UP_LIMIT, type TSignUpLimit } from "./auth/attempt-limits.js";
export { maskSpecSecrets, SECRET_MASK } from "./secrets.js";
export { generateApiToken, isWellFormedApiToken, sha256Hex, TOKEN_PREFIX } from "@autoglm/protocol/api-token";
export { seedDemoAll, issueLocalAgentToken, LOCAL_AGENT_TOKEN_NAME } from "./seed.js";
export { DEMO_ENDPOINT, ensureDemoEndpoint } from "./endpoints/demo-endpoint.js";
export { sweepExpiredAskLeases } from "@autoglm/scheduler";
export { findDownloadableArtifact, artifactDownloadPath } from "./procedures/trial/trial-artifacts.js";
export { findDownloadableModelFile } from "./procedures/model/model-file.js";
export {
  openStudyExport,
  exportCsvHeader,
  exportCsvRow,
  type TExportTrial,
  type TStudyExport,
} from "./procedures/study/export-study.js";
export { registerTrialModel, type TRegisterInput } from "./models/register.js";
export { canonicalManifest, manifestDigest } from "./models/manifest.js";
export { parseModelRef, versionUri, modelFileDownloadPath, type TModelRef } from "./models/references.js";
export type { TArtifactReader } from "./artifact-reader.js";
export { DEFAULT_ARTIFACTS_MB } from "@autoglm/protocol";
export {
  checkWebhookUrl,
  resolveWebhookTarget,
  refusalOfAddress,
  WebhookTargetRefused,
  type TWebhookTargetPolicy,
  type TResolvedAddress,
} from "./webhooks/webhook-target.js";
export { openWebhookSecret, sealWebhookSecret } from "./webhooks/webhook-secret.js";
export { ModelAutoRegister, type TAutoRegistered } from "./models/auto-register.js";
