import { ZTrialSignal, type TSignalAck } from "@autoglm/protocol";
import type { AgentCore } from "./agent-core.js";
import type { AgentPart } from "./agent-part.js";

/**
 * The server's trial:prune and trial:stop: stop the run holding that lease (SIGTERM, then
 * SIGKILL after killGraceMs); its completion then reports it pruned or stopped.
 */
export function trialSignals(core: AgentCore): AgentPart {
  const onSignal = (kind: "prune" | "stop") => (payload: unknown, ack?: (r: TSignalAck) => void) => {
    const reply = typeof ack === "function" ? ack : () => {};
    const parsed = ZTrialSignal.safeParse(payload);
    if (!parsed.success) return reply({ ok: false, error: { code: "BAD_REQUEST", message: "malformed signal" } });
    const slot = core.slots.get(parsed.data.trialId);
    if (!slot || slot.run.lease.leaseToken !== parsed.data.leaseToken) return reply({ ok: true, known: false });
    core.events.emit(kind, parsed.data.trialId);
    slot.run.stop(kind);
    reply({ ok: true, known: true });
  };
  core.connection.socket.on("trial:prune", onSignal("prune"));
  core.connection.socket.on("trial:stop", onSignal("stop"));
  return {};
}
