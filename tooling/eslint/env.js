/**
 * Config enters at the edge (STYLE.md §7): `process.env` is read by each app's env.ts and by
 * process entry points; libraries take options. These files may read it, each for a reason.
 * Tests, benches, scripts and tool configs may always read it.
 */
/** @type {Record<string, { files: string[], why: string }[]>} */
export const ENV_READERS = {
  "@autoglm/server": [
    { files: ["src/env.ts"], why: "the server's one zod-validated env module" },
    { files: ["src/main.ts"], why: "process entry: AUTOGLM_STARTUP_T0 is the launcher's clock, read before env.ts loads" },
    { files: ["src/server.ts"], why: "writes NEXTAUTH_URL, which next-auth v4 reads from the environment per request" },
    { files: ["src/local-agent.ts"], why: "the local agent child inherits the server's environment (PATH, HOME, CUDA_*)" },
  ],
  "@autoglm/agent": [
    { files: ["src/run-cli.ts"], why: "the agent CLI's entry: its flags default from AUTOGLM_SERVER / AUTOGLM_TOKEN" },
    {
      files: ["src/builtin-runner.ts"],
      why: "entry of the builtin-trainer child process: the trial contract is AUTOGLM_* variables",
    },
    { files: ["src/agent.ts"], why: "the default of `options.env`, the environment trials inherit allowlisted variables from" },
    { files: ["src/system.ts"], why: "probes (nvidia-smi) run with PATH only" },
    {
      files: ["test-fixtures/**"],
      why: "fixtures stand for a team's own programs (a model server), which read their environment",
    },
  ],
  "@autoglm/sdk": [
    { files: ["src/cli-program.ts"], why: "the `autoglm` CLI's entry: its io.env default" },
    { files: ["src/config.ts"], why: "the default `env` parameter: XDG_CONFIG_HOME, AUTOGLM_SERVER, AUTOGLM_TOKEN" },
    { files: ["examples/**"], why: "examples show a user's script reading its token from the environment" },
  ],
  "open-autoglm": [{ files: ["examples/**"], why: "example trial scripts read the AUTOGLM_* trial contract" }],
  "@autoglm/web": [
    { files: ["src/server/env.ts"], why: "the dashboard's sign-in settings (OIDC, password sign-in), read per process" },
  ],
  "@autoglm/db": [{ files: ["src/testing.ts"], why: "the test helper: DATABASE_URL picks the driver tests run against" }],
};
