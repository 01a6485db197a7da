/**
 * The end of a trial's log, bounded in bytes (default 64 KiB): the oldest lines go first.
 * A training script that prints 10 GB must not take the agent's memory with it.
 */
export class LogBuffer {
  private lines: string[] = [];
  private bytes = 0;
  private dropped = 0;

  constructor(private readonly limitBytes: number) {}

  push(line: string): void {
    const l = line.length > this.limitBytes ? `${line.slice(0, this.limitBytes - 20)}…[line truncated]` : line;
    this.lines.push(l);
    this.bytes += Buffer.byteLength(l) + 1;
    while (this.bytes > this.limitBytes && this.lines.length > 1) {
      const first = this.lines.shift()!;
      this.bytes -= Buffer.byteLength(first) + 1;
      this.dropped++;
    }
  }

  text(): string {
    const head = this.dropped > 0 ? `[${this.dropped} earlier lines dropped]\n` : "";
    const body = head + this.lines.join("\n");
    return body.length > 65_000 ? body.slice(body.length - 65_000) : body;
  }

  lastLines(n: number): string[] {
    return this.lines.slice(-n);
  }
}
