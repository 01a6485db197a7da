import type { Logger } from "@autoglm/protocol";

/** Lines per window that reach the agent's log: a server logging every request at 1,000 req/s keeps 1 % of them. */
const LINES_PER_WINDOW = 100;
const WINDOW_MS = 10_000;
/** A line longer than this is cut: one JSON dump must not fill the log. */
const MAX_LINE_CHARS = 2_000;

/**
 * A replica's output (the team's server's, for flavor `command`) into the agent's log, bounded:
 * at most LINES_PER_WINDOW lines per WINDOW_MS, each cut at MAX_LINE_CHARS; the first line
 * after a window that dropped some says how many.
 */
export class ReplicaOutputLog {
  private windowStart = 0;
  private inWindow = 0;
  private dropped = 0;

  constructor(
    private readonly logger: Logger,
    private readonly fields: Record<string, unknown>,
    private readonly now: () => number = Date.now,
  ) {}

  push(line: string): void {
    const t = this.now();
    if (t - this.windowStart >= WINDOW_MS) {
      this.windowStart = t;
      this.inWindow = 0;
    }
    if (this.inWindow >= LINES_PER_WINDOW) {
      this.dropped++;
      return;
    }
    this.inWindow++;
    const text = line.length > MAX_LINE_CHARS ? `${line.slice(0, MAX_LINE_CHARS)}…[cut]` : line;
    const dropped = this.dropped;
    this.dropped = 0;
    this.logger.info("replica output", { ...this.fields, line: text, ...(dropped ? { droppedBefore: dropped } : {}) });
  }
}
