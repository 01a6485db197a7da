import type { AgentCore } from "./agent-core.js";
import type { AgentPart } from "./agent-part.js";

/** How often the watchdog looks at the clock. */
const TICK_MS = 100;

/**
 * Pause watchdog (R2): a process stopped (SIGSTOP, VM freeze, swap storm) for longer than
 * half a lease may have lost its leases meanwhile. On waking it reconnects at once, so the
 * re-registration tells it which trials are stale and their children die within
 * milliseconds instead of after Socket.IO notices the dead connection.
 */
export function pauseWatchdog(core: AgentCore): AgentPart {
  let lastTick = Date.now();
  const timer = setInterval(() => {
    const now = Date.now();
    const gap = now - lastTick;
    lastTick = now;
    if (gap > Math.max(1_000, core.registration.heartbeatMs()) && !core.isStopping() && core.slots.size > 0) {
      core.logger.warn("the agent was paused; re-registering to check its leases", { pausedMs: gap });
      core.connection.reconnectNow();
    }
  }, TICK_MS);
  timer.unref();
  return { close: () => clearInterval(timer) };
}
