import type { RequestListener } from "node:http";
import type { ReplicaIdentity, ReplicaState } from "./replica-http.js";
import type { ReplicaChildConfig } from "./replica-messages.js";
import { createProxyHandler } from "./replica-proxy.js";
import { TeamServer } from "./team-server.js";

/**
 * Flavor `command` in the replica's process: start the team's server in the version's files,
 * wait until it is healthy, and proxy to it. If it dies while serving (not while draining), the
 * replica exits non-zero, and the agent restarts the replica and with it the server.
 */
export async function startCommandReplica(
  config: ReplicaChildConfig,
  id: ReplicaIdentity,
  state: ReplicaState,
): Promise<{ handler: RequestListener; team: TeamServer }> {
  const c = config.command;
  if (!c) throw new Error("flavor command needs the study's serve section, and none came with the replica");
  const team = await TeamServer.start({
    spec: c,
    modelDir: config.modelDir,
    model: config.model,
    version: config.version,
    runAs: c.runAs,
    cookie: c.cookie,
    baseEnv: config.teamEnv ?? {},
  });
  void team.whenExited().then((how) => {
    if (state.draining) return;
    process.stderr.write(`[replica] the serve command's server ${how} while serving; the replica restarts\n`);
    process.exit(1);
  });
  return { handler: createProxyHandler({ port: team.port, health: c.health }, id, state), team };
}
