import type { Command } from "commander";
import { createClient, type AutoglmClient } from "../client.js";
import { normalizeServer } from "../server-url.js";
import { configPath, writeStoredConfig } from "../config.js";
import { AutoglmError, toAutoglmError } from "../errors.js";
import { usageError, type CliContext, type GlobalFlags } from "./context.js";

/** `autoglm login`: verify a token against a server and store both. */
export function registerLoginCommand(program: Command, { io }: CliContext): void {
  program
    .command("login")
    .description("verify a token against a server and store both (mode 0600)")
    .option("--token-stdin", "read the token from standard input (keeps it out of shell history)")
    .action(async (opts: { tokenStdin?: boolean }, cmd: Command) => {
      const flags = cmd.optsWithGlobals<GlobalFlags>();
      const server = flags.server ?? io.env.AUTOGLM_SERVER;
      let token = flags.token ?? io.env.AUTOGLM_TOKEN;
      if (opts.tokenStdin) token = (await io.readStdin()).trim();
      if (!server || !token) throw usageError("autoglm: login needs --server URL and --token T (or --token-stdin)");
      const client = createClient({ server, token });
      const identity = await verifyToken(client);
      const path = configPath(io.env);
      await writeStoredConfig(path, { server: normalizeServer(server), token: token.trim() });
      io.stdout(`logged in to ${client.server}${identity ? ` as ${identity}` : ""}\nconfig saved to ${path}\n`);
    });
}

/**
 * Who the token belongs to, or undefined when the server does not say. Throws
 * "token rejected" when the server refuses it.
 */
async function verifyToken(client: AutoglmClient): Promise<string | undefined> {
  const rejected = (e: AutoglmError) =>
    new AutoglmError(e.code, `token rejected by ${client.server}: ${e.message}`, {
      ...(e.trpcCode ? { trpcCode: e.trpcCode } : {}),
      cause: e,
    });
  try {
    const me = await client.me();
    // A token belongs to one team, but auth.me lists all of the user's: name it only when unambiguous.
    const org = me.orgs.length === 1 ? me.orgs[0] : undefined;
    return `${me.user.email}${org ? ` (team ${org.name})` : ""}`;
  } catch (err) {
    const e = toAutoglmError(err, client.server);
    if (e.isAuthError) throw rejected(e);
    if (e.code === "UNREACHABLE" || e.code === "BAD_RESPONSE") throw e;
  }
  // auth.me may be closed to tokens or to this token's scopes; any authenticated answer
  // (even FORBIDDEN for a scope) proves the token is real.
  try {
    await client.projects.list();
  } catch (err) {
    const e = toAutoglmError(err, client.server);
    if (e.isAuthError) throw rejected(e);
    if (e.trpcCode !== "FORBIDDEN") throw e;
  }
  return undefined;
}
