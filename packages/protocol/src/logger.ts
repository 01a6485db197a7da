/**
 * Structured logger of the server, the scheduler and the agent: a message and a few fields
 * (ids, counts). Fields never carry tokens or secrets (S10); each process decides how a line
 * is printed.
 */
export interface Logger {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export const silentLogger: Logger = { info() {}, warn() {}, error() {} };
