/**
 * Structured logger of the server, the scheduler and the agent: a message and a few fields
 * (ids, counts). Fields never carry tokens or secrets (S10); each process decides how a line
 * is printed (@autoglm/logging for the server and the agent).
 */
export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
