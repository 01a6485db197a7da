import { newRequestId, withRequestContext, type TRequestContext } from "@autoglm/logging";
import type { Namespace, Socket } from "socket.io";

/**
 * Each event of the namespace runs in a request context of its own (a fresh request id, and
 * the ids the handshake put on `socket.data`), so the lines and database work it causes can
 * be told apart from the connection's other events. Socket.IO runs the handler on a
 * process.nextTick scheduled inside `next()`, which carries the context into it.
 */
export function contextPerEvent(nsp: Namespace, fieldsOf: (socket: Socket) => Omit<TRequestContext, "requestId">): void {
  nsp.on("connection", (socket: Socket) => {
    socket.use((_packet, next) => withRequestContext({ requestId: newRequestId(), ...fieldsOf(socket) }, () => next()));
  });
}

/** The ids of a socket's `data` that are set (strings), as context fields. */
export function idsOf(
  data: Record<string, unknown>,
  names: Record<string, keyof TRequestContext>,
): Omit<TRequestContext, "requestId"> {
  const out: Record<string, string> = {};
  for (const [from, to] of Object.entries(names)) if (typeof data[from] === "string") out[to] = data[from];
  return out;
}
