import { chmod, mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { AutoglmError } from "./errors.js";

/** What `autoglm login` stores. The file is mode 0600 because it holds a bearer token. */
export interface StoredConfig {
  server: string;
  token: string;
}

export interface ResolvedConfig {
  server: string;
  token: string;
  /** Where each value came from, for error messages (never the value of the token). */
  source: { server: ConfigSource; token: ConfigSource };
}

export type ConfigSource = "flag" | "env" | "config";

type Env = Record<string, string | undefined>;

/** `$AUTOGLM_CONFIG`, else `$XDG_CONFIG_HOME/autoglm/config.json`, else `~/.config/autoglm/config.json`. */
export function configPath(env: Env = process.env): string {
  if (env.AUTOGLM_CONFIG) return env.AUTOGLM_CONFIG;
  const base = env.XDG_CONFIG_HOME || join(homedir(), ".config");
  return join(base, "autoglm", "config.json");
}

export async function readStoredConfig(path: string): Promise<Partial<StoredConfig> | undefined> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new AutoglmError("CONFIG", `cannot read ${path}: ${(err as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new AutoglmError("CONFIG", `${path} is not valid JSON; run \`autoglm login\` again`);
  }
  if (typeof parsed !== "object" || parsed === null) {
    throw new AutoglmError("CONFIG", `${path} is not a JSON object; run \`autoglm login\` again`);
  }
  const o = parsed as Record<string, unknown>;
  return {
    ...(typeof o.server === "string" ? { server: o.server } : {}),
    ...(typeof o.token === "string" ? { token: o.token } : {}),
  };
}

/**
 * Writes the config atomically (temp file + rename) with mode 0600 from the first byte, so
 * the token is never readable by others, not even for a moment, and a crash mid-write
 * cannot leave half a file.
 */
export async function writeStoredConfig(path: string, config: StoredConfig): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify({ server: config.server, token: config.token }, null, 2)}\n`, {
    mode: 0o600,
  });
  // writeFile's mode is filtered by the umask and ignored for an existing file: set it again.
  await chmod(tmp, 0o600);
  await rename(tmp, path);
}

/** Precedence: flags > AUTOGLM_SERVER / AUTOGLM_TOKEN > the stored config. */
export async function resolveConfig(
  flags: { server?: string | undefined; token?: string | undefined },
  env: Env = process.env,
): Promise<ResolvedConfig> {
  const path = configPath(env);
  const needStored = !(flags.server || env.AUTOGLM_SERVER) || !(flags.token || env.AUTOGLM_TOKEN);
  const stored = needStored ? await readStoredConfig(path) : undefined;
  const pick = (flag: string | undefined, envValue: string | undefined, storedValue: string | undefined) =>
    flag
      ? { value: flag, source: "flag" as const }
      : envValue
        ? { value: envValue, source: "env" as const }
        : storedValue
          ? { value: storedValue, source: "config" as const }
          : undefined;
  const server = pick(flags.server, env.AUTOGLM_SERVER, stored?.server);
  const token = pick(flags.token, env.AUTOGLM_TOKEN, stored?.token);
  if (!server || !token) {
    const missing = [!server && "server", !token && "token"].filter(Boolean).join(" and ");
    throw new AutoglmError(
      "CONFIG",
      `no ${missing} configured: run \`autoglm login --server URL --token T\`, or set AUTOGLM_SERVER / AUTOGLM_TOKEN`,
    );
  }
  return { server: server.value, token: token.value, source: { server: server.source, token: token.source } };
}
