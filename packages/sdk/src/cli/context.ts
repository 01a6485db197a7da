import { type Command, CommanderError } from "commander";
import { createClient, type AutoglmClient } from "../client.js";
import { configPath, resolveConfig } from "../config.js";
import { AutoglmError, toAutoglmError } from "../errors.js";

/** Exit codes: 0 ok, 1 the operation failed, 2 the command line was wrong. */
export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: Record<string, string | undefined>;
  readStdin: () => Promise<string>;
  /** Whether stderr is a terminal: progress bars only go there (a pipe or a log file gets none). */
  stderrIsTTY?: boolean;
}

export interface GlobalFlags {
  server?: string;
  token?: string;
}

/** Turns an action that needs a client into a Commander action (its last argument is the Command). */
export type WithClient = <A extends unknown[]>(
  fn: (client: AutoglmClient, ...args: A) => Promise<void>,
) => (...args: A) => Promise<void>;

/** What every command group is registered with. */
export interface CliContext {
  io: CliIo;
  withClient: WithClient;
  /** The code runCli resolves to when the command returns without throwing (default 0). */
  setExitCode(code: number): void;
}

/** A usage error with our own message (Commander prints its own for the errors it finds). */
export function usageError(message: string): CommanderError {
  return new CommanderError(EXIT_USAGE, "autoglm.usage", message);
}

/** Wraps an action: resolves config, builds a client, maps errors to exit 1. */
export function createWithClient(io: CliIo): WithClient {
  return <A extends unknown[]>(fn: (client: AutoglmClient, ...args: A) => Promise<void>) =>
    async (...args: A): Promise<void> => {
      const cmd = args[args.length - 1] as Command;
      const flags = cmd.optsWithGlobals<GlobalFlags>();
      const config = await resolveConfig(flags, io.env);
      const client = createClient({ server: config.server, token: config.token });
      try {
        await fn(client, ...args);
      } catch (err) {
        if (err instanceof CommanderError) throw err;
        const e = toAutoglmError(err, client.server);
        if (!e.isAuthError) throw e;
        const from =
          config.source.token === "flag" ? "--token" : config.source.token === "env" ? "AUTOGLM_TOKEN" : configPath(io.env);
        throw new AutoglmError(e.code, `token rejected by ${client.server} (from ${from}): ${e.message}`, {
          ...(e.trpcCode ? { trpcCode: e.trpcCode } : {}),
          ...(e.httpStatus !== undefined ? { httpStatus: e.httpStatus } : {}),
          cause: e,
        });
      }
    };
}
