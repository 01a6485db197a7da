import type { DbHandle } from "@autoglm/db/client";
import { DEMO_ENDPOINT, ensureDemoEndpoint } from "@autoglm/api";
import { errorText } from "./server-logger.js";

/**
 * `npm start`'s demo: every 2 s (the automatic registration's pace), creates the endpoint
 * `digits` once the demo study has registered `digits-mlp@champion`, then stops. From then on the
 * endpoint follows the alias, so each better trial is rolled out to it.
 */
export function startDemoEndpoint(deps: {
  db: DbHandle;
  seeded: { orgId: string; userId: string };
  log: (line: string) => void;
  url: string;
  intervalMs?: number;
}): { stop(): void } {
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    ensureDemoEndpoint(deps.db, deps.seeded)
      .then((r) => {
        if (r === "waiting") return;
        clearInterval(timer);
        if (r === "created") {
          deps.log(
            `Demo endpoint ${DEMO_ENDPOINT.name} now serves ${DEMO_ENDPOINT.model}@${DEMO_ENDPOINT.alias}: ${deps.url}/endpoints/${DEMO_ENDPOINT.name}`,
          );
        }
      })
      .catch((err: unknown) => deps.log(`demo endpoint: ${errorText(err)}`))
      .finally(() => (busy = false));
  }, deps.intervalMs ?? 2_000);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
