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
    /**
     * Refetches the study's queries. On the page's first join (`before` set): only those whose answer
     * arrived before `before` (ms epoch), leaving fetches in flight alone. On a doorbell: all, restarting
     * a fetch in flight, which may have read the study before the change it rings for. A doorbell
     * while a first-join refresh waits makes that one a full refresh: it must not be swallowed.
     */
    let pendingBefore: number | undefined;
    const refresh = (asked?: number) => {
      if (timer) {
        if (asked === undefined) pendingBefore = undefined;
        return;
      }
      pendingBefore = asked;
      timer = setTimeout(() => {
        timer = undefined;
        const before = pendingBefore;
        const filter = {
          cancelRefetch: before === undefined,
          predicate: (q: { state: { dataUpdatedAt: number } }) => q.state.dataUpdatedAt < (before ?? Infinity),
        };
        void queryClient.invalidateQueries({ ...trpc.study.pathFilter(), predicate: filter.predicate }, filter);
        void queryClient.invalidateQueries({ ...trpc.trial.pathFilter(), predicate: filter.predicate }, filter);
      }, 300);
    };
    let firstJoin = true;
    const socket: LiveSocket = io({ path: "/socket.io", withCredentials: true, transports: ["websocket", "polling"] });
    const join = () => {
      const askedAt = Date.now();
      socket.emit("room:join", { room: `study:${studyId}` }, (ack: { ok: boolean }) => {
        setConnected(Boolean(ack?.ok));
        if (!ack?.ok) return;
        // Anything that happened while we were away. On the page's first join, answers that came
        // after the join was asked for (or are still coming) read the study about when the doorbell
        // started ringing: fetching them again doubled a 10,000-trial page's download (1 MB more).
        refresh(firstJoin ? askedAt : undefined);
        firstJoin = false;
      });
    };
    socket.on("connect", join);
    socket.on("disconnect", () => setConnected(false));
    socket.on("connect_error", () => setConnected(false));
    socket.on("trial:updated", () => refresh());
    socket.on("study:updated", () => refresh());
    // The server lost its cross-process listener for a moment: doorbells may have been missed.
    socket.on("resync", () => refresh());
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
