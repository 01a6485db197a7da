import { AutoglmError } from "./errors.js";

export const TRPC_PATH = "/api/trpc";
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** `http://host:3000/` and `http://host:3000/api/trpc` both become `http://host:3000`. */
export function normalizeServer(server: string): string {
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(server.trim())) {
    throw new AutoglmError("CONFIG", `server "${server}" must start with http:// or https://`);
  }
  let url: URL;
  try {
    url = new URL(server.trim());
  } catch {
    throw new AutoglmError("CONFIG", `server "${server}" is not a URL; expected e.g. http://127.0.0.1:3000`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new AutoglmError("CONFIG", `server "${server}" must start with http:// or https://`);
  }
  if (url.username || url.password) {
    throw new AutoglmError("CONFIG", "put the token in --token, not in the server URL");
  }
  let path = url.pathname.replace(/\/+$/, "");
  if (path.endsWith(TRPC_PATH)) path = path.slice(0, -TRPC_PATH.length);
  return `${url.origin}${path}`;
}

export function isUuid(value: string): boolean {
  return UUID.test(value);
}
