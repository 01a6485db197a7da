// What `npm start` builds: the server and what it imports, the agent, and the SDK (so the
// README's `pnpm --filter @autoglm/sdk exec autoglm --help` works right after it). A test
// (packages/sdk/tests/cli-install.test.ts) checks the SDK is in this build.
export const QUICKSTART_BUILD_ARGS = [
  "exec",
  "turbo",
  "run",
  "build",
  "--filter=@autoglm/server...",
  "--filter=@autoglm/agent...",
  "--filter=@autoglm/sdk...",
];
