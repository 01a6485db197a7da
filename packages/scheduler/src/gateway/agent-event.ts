import type { z } from "zod";
import { PROTOCOL_VERSION, ackError, type Logger, type TAckError } from "@autoglm/protocol";
import type { AgentSocket } from "./agent-namespace.js";
import type { AgentRegistry } from "./agent-registry.js";

/** One agent event's handler: its schema, whether it needs a registered agent, and the work. */
export interface TAgentEventHandler<A> {
  needsAgent: boolean;
  /** The payload parsed, or why it is malformed. */
  parse(payload: unknown): { ok: true; handle: (agentId: string) => Promise<A> } | { ok: false; message: string };
}

export function agentEvent<S extends z.ZodTypeAny, A>(
  schema: S,
  needsAgent: boolean,
  handle: (data: z.output<S>, agentId: string) => Promise<A>,
): TAgentEventHandler<A> {
  return {
    needsAgent,
    parse(payload) {
      const parsed = schema.safeParse(payload);
      if (parsed.success) return { ok: true, handle: (agentId) => handle(parsed.data, agentId) };
      const message = parsed.error.issues
        .slice(0, 5)
        .map((i: z.ZodIssue) => `${i.path.join(".") || "(payload)"}: ${i.message}`)
        .join("; ");
      return { ok: false, message };
    },
  };
}

/**
 * Runs one event from an agent (STYLE 9): validate → write → ack. A wrong protocol version,
 * a malformed payload or an event before `agent:register` gets an error ack and changes
 * nothing; a handler's failure is logged and acked INTERNAL so the agent retries.
 */
export async function dispatchAgentEvent<A>(
  ctx: { logger: Logger; registry: AgentRegistry; nowMs: () => number },
  socket: AgentSocket,
  event: string,
  handler: TAgentEventHandler<A>,
  payload: unknown,
  ack: ((r: A | TAckError) => void) | undefined,
): Promise<void> {
  const reply = typeof ack === "function" ? ack : () => {};
  if (ctx.registry.closed) return reply(ackError("INTERNAL", "the server is shutting down"));
  const v = typeof payload === "object" && payload !== null && "v" in payload ? payload.v : undefined;
  if (typeof payload === "object" && payload !== null && v !== PROTOCOL_VERSION) {
    return reply(
      ackError("UNSUPPORTED_VERSION", `protocol version ${String(v)} is not supported (expected ${PROTOCOL_VERSION})`),
    );
  }
  const parsed = handler.parse(payload);
  if (!parsed.ok) return reply(ackError("BAD_REQUEST", parsed.message));
  const agentId = socket.data.agentId;
  if (handler.needsAgent && !agentId) return reply(ackError("NOT_REGISTERED", `${event} before agent:register`));
  const agent = agentId ? ctx.registry.get(agentId) : undefined;
  if (agent?.socket === socket) agent.lastSeen = ctx.nowMs();
  try {
    reply(await parsed.handle(agentId ?? ""));
  } catch (err) {
    ctx.logger.error("agent event failed", { event, agentId, error: String(err) });
    reply(ackError("INTERNAL", "the server could not handle the event; retry"));
  }
}
