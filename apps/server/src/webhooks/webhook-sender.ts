import { openWebhookSecret, type TWebhookTargetPolicy } from "@autoglm/api";
import { claimDueWebhookDeliveries, recordWebhookAttempt, type SqlDb, type TClaimedDelivery } from "@autoglm/db/queries";
import type { AppLogger } from "@autoglm/logging";
import { Counter, type Registry } from "prom-client";
import { postWebhook, type TWebhookPostResult } from "./webhook-post.js";
import { webhookSignatureHeader } from "./webhook-signature.js";

export interface WebhookSenderOptions {
  /** How often due deliveries are looked for when nothing nudges the sender. */
  pollIntervalMs: number;
  /** One attempt's bound: DNS, connect, request and response (10 s, GitHub's own webhook timeout). */
  timeoutMs: number;
  /** Retry n waits retryBaseMs × retryFactor^(n-1), ±20 % jitter, at most retryMaxMs: 10 s, 30 s, 1.5 min, 4.5 min … 1 h. */
  retryBaseMs: number;
  retryFactor: number;
  retryMaxMs: number;
  /** A delivery not delivered this long after it was queued is `failed` (a day, as the receivers expect). */
  giveUpAfterMs: number;
  /** Deliveries claimed and sent at once per pass. */
  batchSize: number;
}

export const DEFAULT_WEBHOOK_SENDER_OPTIONS: WebhookSenderOptions = {
  pollIntervalMs: 2_000,
  timeoutMs: 10_000,
  retryBaseMs: 10_000,
  retryFactor: 3,
  retryMaxMs: 3_600_000,
  giveUpAfterMs: 24 * 3_600_000,
  batchSize: 10,
};

export interface WebhookSender {
  /** A delivery was queued in this process: look now rather than at the next poll. */
  nudge(): void;
  /** Stops polling, aborts the attempts in flight (they are recorded as retries) and waits for them. */
  stop(): Promise<void>;
}

export function retryDelayMs(attempt: number, o: WebhookSenderOptions, random: () => number = Math.random): number {
  const plain = Math.min(o.retryMaxMs, o.retryBaseMs * o.retryFactor ** Math.max(0, attempt - 1));
  return Math.round(plain * (0.8 + 0.4 * random()));
}

const USER_AGENT = "Open-AutoGLM-Webhooks/1";

interface SenderDeps {
  db: SqlDb;
  authSecret: string;
  policy: TWebhookTargetPolicy;
  logger: AppLogger;
  registry: Registry;
  options?: Partial<WebhookSenderOptions> | undefined;
}

function deliveryCounter(registry: Registry) {
  return new Counter({
    name: "autoglm_webhook_deliveries_total",
    help: "Webhook delivery attempts, by event and outcome (delivered; retry: failed, tried again later; failed: given up).",
    labelNames: ["event", "outcome"] as const,
    registers: [registry],
  });
}

/** POSTs one claimed delivery, signed now, and records what happened. */
async function attemptDelivery(
  deps: SenderDeps,
  o: WebhookSenderOptions,
  signal: AbortSignal,
  d: TClaimedDelivery,
): Promise<{ outcome: "delivered" | "retry" | "failed"; result: TWebhookPostResult }> {
  let result: TWebhookPostResult;
  try {
    const secret = openWebhookSecret(deps.authSecret, d.secretCiphertext);
    const headers = {
      "content-type": "application/json",
      "user-agent": USER_AGENT,
      "x-autoglm-event": d.event,
      "x-autoglm-delivery": d.id,
      "x-autoglm-signature": webhookSignatureHeader(secret, d.body, new Date()),
    };
    result = await postWebhook({ url: d.url, headers, body: d.body, timeoutMs: o.timeoutMs, policy: deps.policy, signal });
  } catch (err) {
    result = {
      responseCode: null,
      latencyMs: null,
      error: err instanceof Error ? err.message.slice(0, 300) : "the attempt failed",
    };
  }
  const isDelivered = result.error === null;
  const status = await recordWebhookAttempt(deps.db, {
    deliveryId: d.id,
    isDelivered,
    responseCode: result.responseCode,
    latencyMs: result.latencyMs,
    error: result.error,
    retryInMs: isDelivered ? 0 : retryDelayMs(d.attempt, o),
    giveUpAfterMs: o.giveUpAfterMs,
  });
  return { outcome: status === "delivered" || status === "failed" ? status : "retry", result };
}

/**
 * Sends the team webhooks' deliveries (the outbox in `webhook_deliveries`): claims due rows,
 * POSTs each signed body, records the result. Several server replicas may run one each: a
 * claim holds a row for one attempt's length, so no delivery is sent twice at once.
 */
export function startWebhookSender(deps: SenderDeps): WebhookSender {
  const o: WebhookSenderOptions = { ...DEFAULT_WEBHOOK_SENDER_OPTIONS, ...deps.options };
  const counter = deliveryCounter(deps.registry);
  const abort = new AbortController();
  let stopped = false;
  let running: Promise<void> | null = null;
  let again = false;
  let timer: NodeJS.Timeout | undefined;

  async function attempt(d: TClaimedDelivery): Promise<void> {
    const { outcome, result } = await attemptDelivery(deps, o, abort.signal, d);
    counter.inc({ event: d.event, outcome });
    // Ids and codes only: the URL may carry a receiver's own token in its path or query.
    if (outcome !== "delivered") {
      deps.logger.info("webhook delivery not delivered", {
        deliveryId: d.id,
        webhookId: d.webhookId,
        teamId: d.orgId,
        attempt: d.attempt,
        code: result.responseCode,
        outcome,
        error: result.error,
      });
    }
  }

  async function pass(): Promise<void> {
    do {
      again = false;
      // A claim outlives one attempt (DNS and the POST, each bounded by timeoutMs) with room to record it.
      const due = await claimDueWebhookDeliveries(deps.db, { limit: o.batchSize, claimMs: o.timeoutMs * 2 + 30_000 });
      await Promise.all(due.map(attempt));
      // A full batch: more may be due now.
      if (due.length === o.batchSize) again = true;
    } while (again && !stopped);
  }

  function schedule(ms: number): void {
    if (stopped) return;
    clearTimeout(timer);
    timer = setTimeout(run, ms);
    timer.unref();
  }

  function run(): void {
    if (stopped || running) return;
    running = pass()
      .catch((err: unknown) =>
        deps.logger.error("webhook pass failed", { error: err instanceof Error ? err.message : String(err) }),
      )
      .finally(() => {
        running = null;
        schedule(o.pollIntervalMs);
      });
  }

  schedule(0);
  return {
    nudge() {
      if (running) again = true;
      else schedule(0);
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      abort.abort();
      await running;
    },
  };
}
