import { readFileSync } from "node:fs";
import { Command, CommanderError } from "commander";
import { configPath } from "./config.js";
import { toAutoglmError } from "./errors.js";
import { registerAgentCommand } from "./cli/agent-command.js";
import { createWithClient, EXIT_FAILURE, EXIT_OK, EXIT_USAGE, type CliContext, type CliIo } from "./cli/context.js";
import { registerEndpointCommands } from "./cli/endpoint-commands.js";
import { registerLoginCommand } from "./cli/login-command.js";
import { registerModelCommands } from "./cli/model-commands.js";
import { redactTokens } from "./cli/output.js";
import { registerStudyCommands } from "./cli/study-commands.js";
import { registerTrialCommands } from "./cli/trial-commands.js";

export type { CliIo } from "./cli/context.js";

const defaultIo: CliIo = {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
  env: process.env,
  stderrIsTTY: process.stderr.isTTY === true,
  readStdin: async () => {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString("utf8");
  },
};

function version(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version?: string };
    return pkg.version ?? "0.0.0";
  } catch {
    return "0.0.0";
  }
}

/** The program with its global flags and output routing; the command groups are added to it. */
function createProgram(io: CliIo): Command {
  return new Command("autoglm")
    .description("Open-AutoGLM command line: studies, the ask/tell loop and the model registry, with an API token.")
    .version(version(), "-V, --version")
    .option("--server <url>", "server base URL (overrides AUTOGLM_SERVER and the stored config)")
    .option("--token <token>", "API token agl_… (overrides AUTOGLM_TOKEN and the stored config)")
    .showSuggestionAfterError(true)
    .configureOutput({
      writeOut: (s) => io.stdout(s),
      writeErr: (s) => io.stderr(redactTokens(s)),
      outputError: (s, write) => write(s.replace(/^error: /, "autoglm: ")),
    })
    .exitOverride()
    .addHelpText(
      "after",
      `
Config: flags > AUTOGLM_SERVER / AUTOGLM_TOKEN > ${configPath(io.env)} (written by \`autoglm login\`).
Exit codes: 0 ok, 1 failed, 2 usage error. AUTOGLM_DEBUG=1 prints stack traces.`,
    );
}

/** The exit code for an error that ended the command, after saying it on stderr. */
function reportError(err: unknown, io: CliIo): number {
  if (err instanceof CommanderError) {
    // Commander printed its own message (help, version, usage error); ours carry theirs.
    if (err.code === "autoglm.usage") io.stderr(`${err.message}\n`);
    // `--help` and `--version` exit 0; anything else, `autoglm study` alone included, is a usage error.
    return err.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
  }
  const e = toAutoglmError(err);
  if (e.code === "USAGE") {
    io.stderr(redactTokens(`autoglm: ${e.message}\n`));
    return EXIT_USAGE;
  }
  io.stderr(redactTokens(`autoglm: error: ${e.message}${e.code && e.code !== "INTERNAL" ? ` [${e.code}]` : ""}\n`));
  if (io.env.AUTOGLM_DEBUG === "1") io.stderr(redactTokens(`${(err as Error)?.stack ?? String(err)}\n`));
  return EXIT_FAILURE;
}

/**
 * Runs the CLI and resolves to the exit code. Errors become one line on stderr (the stack
 * only with AUTOGLM_DEBUG=1); the token never reaches stdout or stderr.
 */
export async function runCli(argv: string[], io: CliIo = defaultIo): Promise<number> {
  let exitCode = EXIT_OK;
  const ctx: CliContext = { io, withClient: createWithClient(io), setExitCode: (code) => (exitCode = code) };
  const program = createProgram(io);
  registerLoginCommand(program, ctx);
  registerStudyCommands(program, ctx);
  registerTrialCommands(program, ctx);
  registerAgentCommand(program, ctx);
  registerModelCommands(program, ctx);
  registerEndpointCommands(program, ctx);
  try {
    await program.parseAsync(argv, { from: "user" });
    return exitCode;
  } catch (err) {
    return reportError(err, io);
  }
}
