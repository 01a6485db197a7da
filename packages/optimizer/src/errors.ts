/**
 * The one error type of this package. `code` says what kind of mistake it was so the
 * platform can map it once (all of these are the caller's fault, i.e. InvalidArg-like);
 * `message` names the offending parameter or trial.
 */
export type TOptimizerErrorCode =
  | "INVALID_SPACE"
  | "INVALID_CONFIG"
  | "INVALID_PARAMS"
  | "INVALID_VALUE"
  | "INVALID_STATE"
  | "UNKNOWN_TRIAL"
  | "DUPLICATE_TRIAL"
  | "TRIAL_FINISHED";

export class OptimizerError extends Error {
  readonly code: TOptimizerErrorCode;
  constructor(code: TOptimizerErrorCode, message: string) {
    super(message);
    this.name = "OptimizerError";
    this.code = code;
  }
}
