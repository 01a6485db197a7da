import type { Server as HttpServer } from "node:http";
import { Server, type Socket } from "socket.io";
import { z } from "zod";
import type { TDomainEvent } from "@autoglm/api";
import { accessRooms } from "@autoglm/scheduler";
import { isAllowedOrigin } from "./origin.js";
import { closeRevokedConnections } from "./revoked-connections.js";
import { contextPerEvent, idsOf } from "./socket-context.js";
import { decodeSessionCookie, type SessionClaims } from "./session.js";

export interface SocketDeps {
  allowedOrigins: Set<string>;
  authSecret: string;
  secureCookies: boolean;
  /** Re-checks the JWT's sessionVersion and disabled_at against the database (S4). */
  verifySession(claims: SessionClaims): Promise<boolean>;
  /** The team a room belongs to (the org itself, or the study's org); null when there is none. */
  roomTeam(room: { kind: "study" | "org"; id: string }): Promise<string | null>;
  /** Whether the user is a member of the team (any role may watch). */
  isMember(userId: string, orgId: string): Promise<boolean>;
  /** The platform's event bus: doorbells, and revocations that close connections (S13). */
  subscribe(listener: (event: TDomainEvent) => void): () => void;
  log(message: string): void;
}

const UUID = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";
const ZRoom = z.string().regex(new RegExp(`^(study|org):${UUID}$`, "i"), "room must be study:<uuid> or org:<uuid>");
const ZJoin = z.object({ room: ZRoom });

export type JoinAck = { ok: true } | { ok: false; error: string };

/**
 * Socket.IO for the dashboard: a doorbell, not a data channel (STYLE 9). The browser
 * joins `study:<id>` / `org:<id>` rooms after a membership check and re-fetches over tRPC
 * when a domain event rings.
 */
export function attachSocketServer(http: HttpServer, deps: SocketDeps): { io: Server; close(): Promise<void> } {
  const io = createSocketIo(http, deps);
  contextPerEvent(io.of("/"), (socket) => idsOf(socket.data as Record<string, unknown>, { userId: "userId" }));
  io.use(async (socket, next) => {
    next((await isSignedIn(socket, deps)) ? undefined : new Error("unauthorized"));
  });
  io.on("connection", (socket: Socket) => {
    // S13: `access:revoked` (deactivation, sign-out everywhere, password change, this sign-in's
    // sign-out) closes these rooms on every replica. A change that lands between the handshake
    // and this join still fails the session check every room:join makes.
    void socket.join([accessRooms.user(socket.data.userId as string), accessRooms.session(socket.data.sessionId as string)]);
    socket.on("room:join", async (payload: unknown, ack?: (r: JoinAck) => void) => {
      await joinRoom(socket, payload, deps, typeof ack === "function" ? ack : () => {});
    });
    socket.on("room:leave", async (payload: unknown, ack?: (r: JoinAck) => void) => {
      const parsed = ZJoin.safeParse(payload);
      if (parsed.success) await socket.leave(parsed.data.room.toLowerCase());
      if (typeof ack === "function") ack({ ok: true });
    });
  });

  const unsubscribe = deps.subscribe((event) => {
    if (event.type === "access:revoked") return closeRevokedConnections(io, event);
    // One emit to the union of both rooms: a socket in both gets it once.
    io.to(`study:${event.studyId}`).to(`org:${event.orgId}`).emit(event.type, event);
  });

  return {
    io,
    close: () =>
      new Promise<void>((resolve) => {
        unsubscribe();
        io.disconnectSockets(true);
        // io.close() also closes the http server; the caller owns that, so close engine only.
        io.engine.close();
        resolve();
      }),
  };
}

function createSocketIo(http: HttpServer, deps: SocketDeps): Server {
  return new Server(http, {
    path: "/socket.io",
    // S7: a 2 MB message drops only that socket.
    maxHttpBufferSize: 1_000_000,
    serveClient: false,
    // Other upgrade requests (next dev's hot reload) belong to their own handler.
    destroyUpgrade: false,
    pingInterval: 10_000,
    pingTimeout: 5_000,
    // S5: refuse handshakes (polling and websocket upgrade) from any other origin. Without an
    // Origin header the request is not from a browser page and still needs the cookie below.
    allowRequest: (req, callback) => {
      const origin = req.headers.origin;
      if (origin !== undefined && !isAllowedOrigin(deps.allowedOrigins, origin)) {
        callback("origin not allowed", false);
        return;
      }
      callback(null, true);
    },
  });
}

/** The handshake's session cookie, checked against the database (S4); its claims go on socket.data. */
async function isSignedIn(socket: Socket, deps: SocketDeps): Promise<boolean> {
  try {
    const claims = await decodeSessionCookie(socket.handshake.headers.cookie, deps.authSecret, deps.secureCookies);
    if (!claims || !(await deps.verifySession(claims))) return false;
    socket.data.userId = claims.userId;
    socket.data.sessionVersion = claims.sessionVersion;
    socket.data.sessionId = claims.sessionId;
    return true;
  } catch {
    return false;
  }
}

/** `room:join`: the session still valid, the room's team known, and the user one of its members. */
async function joinRoom(socket: Socket, payload: unknown, deps: SocketDeps, reply: (r: JoinAck) => void): Promise<void> {
  const parsed = ZJoin.safeParse(payload);
  if (!parsed.success) return reply({ ok: false, error: "room must be study:<uuid> or org:<uuid>" });
  const [kind, id] = parsed.data.room.toLowerCase().split(":") as ["study" | "org", string];
  try {
    const userId = socket.data.userId as string;
    const stillValid = await deps.verifySession({
      userId,
      sessionVersion: socket.data.sessionVersion as number,
      sessionId: socket.data.sessionId as string,
    });
    if (!stillValid) {
      reply({ ok: false, error: "Your session has ended. Sign in again." });
      socket.disconnect(true);
      return;
    }
    // A room you may not see answers like one that does not exist (S1).
    const orgId = await deps.roomTeam({ kind, id });
    if (!orgId) return reply({ ok: false, error: "not found" });
    // S13: joined to the member's room BEFORE the membership check, so a removal from the
    // team either fails the check or finds this socket (and closes it); never neither.
    const memberRoom = accessRooms.member(orgId, userId);
    const wasIn = socket.rooms.has(memberRoom);
    await socket.join(memberRoom);
    if (!(await deps.isMember(userId, orgId))) {
      if (!wasIn) await socket.leave(memberRoom);
      return reply({ ok: false, error: "not found" });
    }
    await socket.join(`${kind}:${id}`);
    reply({ ok: true });
  } catch {
    reply({ ok: false, error: "could not join the room" });
  }
}
