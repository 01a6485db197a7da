/**
 * The last result of `read` for `ttlMs`, one read in flight at a time: Prometheus (and anyone
 * who can reach the port) may scrape as often as it likes while the database sees at most one
 * grouped query per `ttlMs` per server. A failed read is not kept: the next scrape retries.
 */
export function cachedRead<T>(read: () => Promise<T>, ttlMs: number, now: () => number = () => performance.now()) {
  let kept: { at: number; value: Promise<T> } | undefined;
  return (): Promise<T> => {
    if (kept && now() - kept.at < ttlMs) return kept.value;
    const value = read();
    const entry = { at: now(), value };
    kept = entry;
    value.catch(() => {
      if (kept === entry) kept = undefined;
    });
    return value;
  };
}
