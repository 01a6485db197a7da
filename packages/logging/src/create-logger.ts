import type { Writable } from "node:stream";
import type { Logger } from "@autoglm/protocol";
import pino from "pino";
import pinoPretty from "pino-pretty";
import { requestContext } from "./request-context.js";
import { scrubValue } from "./scrub.js";

export const LOG_FORMATS = ["json", "pretty"] as const;
export type TLogFormat = (typeof LOG_FORMATS)[number];
export const LOG_LEVELS = ["trace", "debug", "info", "warn", "error", "fatal", "silent"] as const;
export type TLogLevel = (typeof LOG_LEVELS)[number];

export interface CreateLoggerOptions {
  /** `json`: one JSON object a line (containers, log shippers); `pretty`: one readable line (a terminal). */
  format?: TLogFormat;
  level?: TLogLevel;
  /** The process: `server`, `agent`; every line carries it as `name`. */
  name: string;
  /** Where lines go (default stdout); tests pass a stream they read. */
  destination?: Writable;
  /** Fields every line carries (a child's bindings). */
  base?: Record<string, unknown>;
}

/** The protocol's Logger with the levels and children pino has. */
export interface AppLogger extends Logger {
  child(fields: Record<string, unknown>): AppLogger;
  isLevelEnabled(level: TLogLevel): boolean;
  /** Writes out what is buffered (a no-op for the synchronous destinations used here). */
  flush(): void;
}

/**
 * A pino logger behind the protocol's Logger interface. Lines carry the request context of
 * the work that wrote them (mixin), credential-named keys are censored and token-
 * shaped text is cut from the message and every string field (logMethod hook), S10.
 * Both formats write synchronously: a line logged just before `process.exit` is not lost.
 */
export function createLogger(options: CreateLoggerOptions): AppLogger {
  const destination = options.destination ?? pino.destination({ dest: 1, sync: true });
  const stream =
    options.format === "pretty"
      ? pinoPretty({
          destination,
          sync: true,
          colorize: options.destination === undefined && process.stdout.isTTY === true,
          translateTime: "SYS:yyyy-mm-dd HH:MM:ss.l",
          ignore: "pid,hostname",
          // One line per event, fields after the message, as the plain-text logs read before.
          singleLine: true,
        })
      : destination;
  const base = pino(
    {
      name: options.name,
      level: options.level ?? "info",
      base: { pid: process.pid, ...scrubFields(options.base) },
      mixin: () => scrubFields(requestContext()) ?? {},
      hooks: {
        logMethod(args, method) {
          method.apply(this, args.map((a) => scrubValue(a)) as Parameters<typeof method>);
        },
      },
    },
    stream,
  );
  return wrap(base);
}

function scrubFields(fields: object | undefined): Record<string, unknown> | undefined {
  return fields ? (scrubValue({ ...fields }) as Record<string, unknown>) : undefined;
}

function wrap(p: pino.Logger): AppLogger {
  const at =
    (level: "debug" | "info" | "warn" | "error") =>
    (message: string, fields?: Record<string, unknown>): void => {
      if (fields) p[level](fields, message);
      else p[level](message);
    };
  return {
    debug: at("debug"),
    info: at("info"),
    warn: at("warn"),
    error: at("error"),
    child: (fields) => wrap(p.child(scrubFields(fields) ?? {})),
    isLevelEnabled: (level) => p.isLevelEnabled(level),
    flush: () => p.flush(),
  };
}
