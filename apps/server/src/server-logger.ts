import { Writable } from "node:stream";
import { createLogger, type AppLogger } from "@autoglm/logging";
import type { TServerEnv } from "./env.js";

/**
 * The server's one logger: LOG_FORMAT / LOG_LEVEL from env.ts, lines to stdout, or to `sink`
 * one line at a time (tests read them, or drop them).
 */
export function createServerLogger(env: Pick<TServerEnv, "LOG_FORMAT" | "LOG_LEVEL">, sink?: (line: string) => void): AppLogger {
  return createLogger({
    name: "server",
    format: env.LOG_FORMAT,
    level: env.LOG_LEVEL,
    ...(sink ? { destination: lineSink(sink) } : {}),
  });
}

/** A stream that hands each complete line to `sink` (pino writes one line per call). */
function lineSink(sink: (line: string) => void): Writable {
  return new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString("utf8").split("\n")) if (line) sink(line);
      done();
    },
  });
}

/** An error's name and message for a log field (the logger scrubs tokens out of it). */
export function errorText(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}
