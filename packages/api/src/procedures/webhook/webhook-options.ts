import type { TWebhookApiOptions } from "../../context.js";
import { AppError } from "../../errors.js";

/** The host's webhook settings, or the one error every webhook mutation gives without them. */
export function webhookOptionsOf(options: { webhooks: TWebhookApiOptions | null }): TWebhookApiOptions {
  if (!options.webhooks) {
    throw new AppError("WEBHOOKS_UNAVAILABLE", { userMessage: "Webhooks are not available on this server." });
  }
  return options.webhooks;
}
