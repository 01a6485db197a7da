import { io, type Socket } from "socket.io-client";

/** A tiny browser stand-in: keeps cookies, sends the server's own Origin on writes. */
export class Browser {
  cookies = new Map<string, string>();
  constructor(
    readonly base: string,
    readonly origin: string = base,
  ) {}

  cookieHeader(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
  }

  private store(res: Response) {
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(";");
      const eq = pair!.indexOf("=");
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      if (/max-age=0/i.test(line) || value === "") this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  async fetch(path: string, init: RequestInit & { headers?: Record<string, string> } = {}): Promise<Response> {
    const headers: Record<string, string> = { ...(init.headers ?? {}) };
    if (this.cookies.size) headers.cookie = this.cookieHeader();
    if (init.method && init.method !== "GET" && !("origin" in headers)) headers.origin = this.origin;
    const res = await fetch(this.base + path, { ...init, headers, redirect: "manual" });
    this.store(res);
    return res;
  }

  /** next-auth credentials sign-in, the way the dashboard's form does it. */
  async signIn(email: string, password: string): Promise<Response> {
    const csrf = (await (await this.fetch("/api/auth/csrf")).json()) as { csrfToken: string };
    return this.fetch("/api/auth/callback/credentials", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ email, password, csrfToken: csrf.csrfToken, json: "true" }).toString(),
    });
  }

  /** A tRPC call over plain HTTP (no transformer): mutations POST, queries GET. */
  async trpc<T = unknown>(
    path: string,
    input: unknown,
    opts: { org?: string; query?: boolean } = {},
  ): Promise<{ status: number; body: { result?: { data: T }; error?: { data?: { userMessage?: string; code?: string } } } }> {
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (opts.org) headers["x-autoglm-org"] = opts.org;
    const res = opts.query
      ? await this.fetch(`/api/trpc/${path}${input === undefined ? "" : `?input=${encodeURIComponent(JSON.stringify(input))}`}`, {
          headers,
        })
      : await this.fetch(`/api/trpc/${path}`, {
          method: "POST",
          headers,
          ...(input === undefined ? {} : { body: JSON.stringify(input) }),
        });
    return { status: res.status, body: (await res.json()) as never };
  }

  async call<T>(path: string, input: unknown, opts: { org?: string; query?: boolean } = {}): Promise<T> {
    const r = await this.trpc<T>(path, input, opts);
    if (r.status !== 200 || !r.body.result)
      throw new Error(`${path} answered ${r.status}: ${JSON.stringify(r.body.error?.data?.userMessage ?? r.body)}`);
    return r.body.result.data;
  }
}

export function connectSocket(
  base: string,
  opts: { cookie?: string; origin?: string; transport?: "websocket" | "polling" },
): Socket {
  const extraHeaders: Record<string, string> = {};
  if (opts.cookie) extraHeaders.cookie = opts.cookie;
  if (opts.origin) extraHeaders.origin = opts.origin;
  return io(base, {
    path: "/socket.io",
    transports: [opts.transport ?? "websocket"],
    extraHeaders,
    reconnection: false,
    timeout: 5_000,
    forceNew: true,
  });
}

export function waitConnect(socket: Socket): Promise<{ ok: true } | { ok: false; message: string }> {
  return new Promise((resolve) => {
    socket.once("connect", () => resolve({ ok: true }));
    socket.once("connect_error", (err) => resolve({ ok: false, message: err.message }));
  });
}

export function waitFor<T>(socket: Socket, event: string, predicate: (payload: T) => boolean, timeoutMs = 5_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.off(event, on);
      reject(new Error(`no ${event} within ${timeoutMs} ms`));
    }, timeoutMs);
    const on = (payload: T) => {
      if (!predicate(payload)) return;
      clearTimeout(timer);
      socket.off(event, on);
      resolve(payload);
    };
    socket.on(event, on);
  });
}
