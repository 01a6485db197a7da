import { PLATFORM_KEY, type PlatformEvents, type PlatformHandle, type TDomainEvent } from "@autoglm/api";

// The handle's type and its globalThis key live in @autoglm/api, which apps/web reads it with.
export { PLATFORM_KEY, type PlatformEvents, type PlatformHandle };

export function setPlatform(handle: PlatformHandle | undefined): void {
  const g = globalThis as Record<string, unknown>;
  if (handle) g[PLATFORM_KEY] = handle;
  else delete g[PLATFORM_KEY];
}

/** A minimal in-process event bus; listeners never break the publisher. */
export function createLocalEvents(onError: (err: unknown) => void): PlatformEvents {
  const listeners = new Set<(event: TDomainEvent) => void>();
  return {
    publish(event) {
      for (const l of listeners) {
        try {
          l(event);
        } catch (err) {
          onError(err);
        }
      }
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
