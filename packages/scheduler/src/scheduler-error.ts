export type TSchedulerErrorCode =
  | "NOT_FOUND"
  | "STUDY_NOT_RUNNING"
  | "STUDY_BUDGET_EXHAUSTED"
  | "MAX_PARALLEL_REACHED"
  | "TRIAL_NOT_RUNNING"
  | "TRIAL_LEASED_TO_AGENT"
  | "VALUE_REQUIRED"
  | "INVALID_SPEC"
  | "INVALID_PARAMS"
  | "OPTIMIZER_TIMEOUT"
  | "CONFLICT";

/** The scheduler's one error type; the api maps `code` to tRPC codes in one place. */
export class SchedulerError extends Error {
  readonly userMessage: string;
  constructor(
    readonly code: TSchedulerErrorCode,
    userMessage: string,
  ) {
    super(`${code}: ${userMessage}`);
    this.name = "SchedulerError";
    this.userMessage = userMessage;
  }
}
