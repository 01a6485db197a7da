/**
 * Calls one tRPC batch request may carry. The dashboard's busiest page, a study, batches 7
 * queries at once (auth.me, study.get, study.history, study.curves, study.importance,
 * study.plotTrials, trial.list); its client splits anything larger at this size (httpBatchLink maxItems),
 * so 10 leaves room while bounding what one request can ask of the server (S12).
 */
export const MAX_TRPC_BATCH_SIZE = 10;
