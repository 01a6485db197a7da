// The download's progress line on a terminal: one line per large file, redrawn in place.
import type { TDownloadProgress } from "../model-download.js";
import type { CliIo } from "./context.js";

/** Files under 8 MiB arrive in well under a second on a LAN; a bar for them would only flicker. */
const PROGRESS_MIN_BYTES = 8 * 1024 * 1024;
/** Redraws at most 10 times a second: enough to look alive, cheap on a slow terminal. */
const REDRAW_MS = 100;

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(1)} ${units[i]}`;
}

/** An `onProgress` that draws `name  37% 12.0 MiB of 32.0 MiB` on stderr, ending the line when the file is done. */
export function printDownloadProgress(io: CliIo): (p: TDownloadProgress) => void {
  let last = 0;
  return (p) => {
    if (p.totalBytes < PROGRESS_MIN_BYTES) return;
    const done = p.receivedBytes >= p.totalBytes;
    const now = Date.now();
    if (!done && now - last < REDRAW_MS) return;
    last = now;
    const pct = Math.floor((p.receivedBytes / p.totalBytes) * 100);
    io.stderr(
      `\r${p.file}  ${String(pct).padStart(3)}%  ${formatBytes(p.receivedBytes)} of ${formatBytes(p.totalBytes)}\x1b[K${done ? "\n" : ""}`,
    );
  };
}
