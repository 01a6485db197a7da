"use client";
import { useQueryClient } from "@tanstack/react-query";
import { useEffect, useRef, useState } from "react";
import { io, type Socket } from "socket.io-client";
import type { DashboardServerEvents } from "@autoglm/protocol";
import { useTRPC } from "./trpc";

/** What a dashboard socket sends: joins a room (apps/server/src/socket.ts checks membership). */
interface DashboardClientEvents {
  "room:join": (payload: { room: string }, ack: (r: { ok: boolean }) => void) => void;
}

/** A dashboard socket: it receives the doorbells of @autoglm/protocol's domain events. */
type LiveSocket = Socket<DashboardServerEvents, DashboardClientEvents>;

/**
 * Joins `study:<id>` over Socket.IO and re-fetches the study's queries when an event rings.
 * The socket is a doorbell; the data always comes from tRPC (Postgres). Bursts of events
 * (an ask/tell loop tells many trials a second) are coalesced into one refetch per 300 ms.
 */
export function useLiveStudy(studyId: string, onDeleted?: () => void): { connected: boolean } {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [connected, setConnected] = useState(false);
  const onDeletedRef = useRef(onDeleted);
  onDeletedRef.current = onDeleted;

  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const refresh = () => {
      if (timer) return;
      timer = setTimeout(() => {
        timer = undefined;
        void queryClient.invalidateQueries(trpc.study.pathFilter());
        void queryClient.invalidateQueries(trpc.trial.pathFilter());
      }, 300);
    };
    const socket: LiveSocket = io({ path: "/socket.io", withCredentials: true, transports: ["websocket", "polling"] });
    const join = () => {
      socket.emit("room:join", { room: `study:${studyId}` }, (ack: { ok: boolean }) => {
        setConnected(Boolean(ack?.ok));
        // Anything that happened while we were away.
        if (ack?.ok) refresh();
      });
    };
    socket.on("connect", join);
    socket.on("disconnect", () => setConnected(false));
    socket.on("connect_error", () => setConnected(false));
    socket.on("trial:updated", refresh);
    socket.on("study:updated", refresh);
    // The server lost its cross-process listener for a moment: doorbells may have been missed.
    socket.on("resync", refresh);
    socket.on("study:deleted", () => onDeletedRef.current?.());
    return () => {
      if (timer) clearTimeout(timer);
      socket.removeAllListeners();
      socket.disconnect();
    };
  }, [studyId, queryClient, trpc]);

  return { connected };
}

/**
 * Joins the team's room `org:<id>` and calls `onEvent` (coalesced to one call per 300 ms)
 * whenever any of its trials or studies changes: the Agents page refetches then. Returns
 * whether the doorbell is connected; callers keep a slow poll as the fallback for what rings
 * no bell (an agent's heartbeat, an agent going silent).
 */
export function useLiveOrg(orgId: string | null, onEvent: () => void): { connected: boolean } {
  const [connected, setConnected] = useState(false);
  const onEventRef = useRef(onEvent);
  onEventRef.current = onEvent;

  useEffect(() => {
    if (!orgId) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const ring = () => {
      if (timer) return;
      timer = setTimeout(() => {
        timer = undefined;
        onEventRef.current();
      }, 300);
    };
    const socket: LiveSocket = io({ path: "/socket.io", withCredentials: true, transports: ["websocket", "polling"] });
    socket.on("connect", () => {
      socket.emit("room:join", { room: `org:${orgId}` }, (ack: { ok: boolean }) => {
        setConnected(Boolean(ack?.ok));
        if (ack?.ok) ring();
      });
    });
    socket.on("disconnect", () => setConnected(false));
    socket.on("connect_error", () => setConnected(false));
    socket.on("trial:updated", ring);
    socket.on("study:updated", ring);
    socket.on("resync", ring);
    socket.on("study:deleted", ring);
    return () => {
      if (timer) clearTimeout(timer);
      socket.removeAllListeners();
      socket.disconnect();
    };
  }, [orgId]);

  return { connected };
}
