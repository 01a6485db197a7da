import { AsyncLocalStorage } from "node:async_hooks";
import { randomUUID } from "node:crypto";

/**
 * Who and what a unit of work belongs to: an HTTP request, a Socket.IO event. Every log line
 * written while it runs carries these fields (the logger's mixin), down to the database work.
 */
export interface TRequestContext {
  requestId: string;
  teamId?: string;
  userId?: string;
  agentId?: string;
  /** W3C trace id of the caller's `traceparent`, so lines join the caller's trace. */
  trace_id?: string;
}

// Next.js loads its route modules apart from the server's, so this module may be evaluated
// twice in one process; the storage lives on globalThis so both copies share one context.
const STORAGE_KEY = Symbol.for("@autoglm/logging.requestContext");
const store = globalThis as { [STORAGE_KEY]?: AsyncLocalStorage<TRequestContext> };
const storage = (store[STORAGE_KEY] ??= new AsyncLocalStorage<TRequestContext>());

/**
 * Runs `fn` (and everything it starts, sync or async) inside `context`. The object is the
 * store itself: ids added with annotateRequestContext land on it, so code holding it (an
 * access line written when the response closes) sees them.
 */
export function withRequestContext<T>(context: TRequestContext, fn: () => T): T {
  return storage.run(context, fn);
}

/** The context of the work running now, or undefined outside any request or event. */
export function requestContext(): Readonly<TRequestContext> | undefined {
  return storage.getStore();
}

/**
 * Adds ids learned part-way through (the user once the credentials are checked, the team once
 * the membership is) to the current context; a no-op outside one. Later lines carry them.
 */
export function annotateRequestContext(fields: Omit<Partial<TRequestContext>, "requestId">): void {
  const current = storage.getStore();
  if (!current) return;
  for (const [k, v] of Object.entries(fields)) if (v !== undefined) (current as unknown as Record<string, unknown>)[k] = v;
}

/** 64 characters of [A-Za-z0-9._-]: room for a UUID or a proxy's id, nothing that could break a log line. */
const SANE_REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

export function newRequestId(): string {
  return randomUUID();
}

/** The caller's `x-request-id` when it is a sane token, else a new one. */
export function requestIdFrom(header: string | string[] | null | undefined): string {
  const value = Array.isArray(header) ? header[0] : header;
  return value && SANE_REQUEST_ID.test(value) ? value : newRequestId();
}

/** `00-<32 hex trace id>-<16 hex parent id>-<2 hex flags>`; the all-zero ids are invalid. */
const TRACEPARENT = /^[0-9a-f]{2}-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}$/;

/** The trace id of a W3C `traceparent` header, or undefined when it is absent or malformed. */
export function traceIdFrom(header: string | string[] | null | undefined): string | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  const m = value ? TRACEPARENT.exec(value.trim().toLowerCase()) : null;
  if (!m || /^0+$/.test(m[1]!) || /^0+$/.test(m[2]!)) return undefined;
  return m[1];
}
