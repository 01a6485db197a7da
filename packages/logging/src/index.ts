export {
  createLogger,
  LOG_FORMATS,
  LOG_LEVELS,
  type AppLogger,
  type CreateLoggerOptions,
  type TLogFormat,
  type TLogLevel,
} from "./create-logger.js";
export {
  annotateRequestContext,
  newRequestId,
  requestContext,
  requestIdFrom,
  traceIdFrom,
  withRequestContext,
  type TRequestContext,
} from "./request-context.js";
export { scrubText, scrubTokens } from "./scrub.js";
export type { Logger } from "@autoglm/protocol";
