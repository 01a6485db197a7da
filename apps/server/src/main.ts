#!/usr/bin/env node
// `node apps/server/dist/main.js [--dev] [--seed-demo] [--with-agent]`: the whole platform.
import type { DbHandle } from "@autoglm/db/client";
import { DEMO_ENDPOINT, issueLocalAgentToken, seedDemoAll } from "@autoglm/api";
import { loadEnv } from "./env.js";
import { startServer } from "./server.js";
import { startLocalAgent, type LocalAgent } from "./local-agent.js";
import { startDemoEndpoint } from "./demo-endpoint-loop.js";

const args = new Set(process.argv.slice(2));
const dev = args.has("--dev");
const t0 = Number(process.env.AUTOGLM_STARTUP_T0) || Date.now();

async function main(): Promise<void> {
  const demo: { seeded: Awaited<ReturnType<typeof seedDemo>> } = { seeded: null };
  const server = await startServer({
    dev,
    beforeRunLoop: async (db) => {
      if (args.has("--seed-demo")) demo.seeded = await seedDemo(db);
    },
  });
  const { seeded } = demo;
  const logFormat = loadEnv().LOG_FORMAT;
  const lines = [`Open-AutoGLM is running at ${server.url}`];
  if (seeded) lines.push(`Demo sign-in: ${seeded.email} / ${seeded.password}`);
  let agent: LocalAgent | null = null;
  if (args.has("--with-agent")) {
    if (!seeded) {
      lines.push("(--with-agent needs --seed-demo: the local agent joins the demo team)");
    } else {
      const token = await issueLocalAgentToken(server.platform.db, seeded);
      agent = startLocalAgent({ server: `http://127.0.0.1:${server.port}`, token, log: (l) => console.log(l), logFormat });
      lines.push(`A local agent ("local-agent") runs the demo study's trials; see ${server.url}/agents`);
      startDemoEndpoint({ db: server.platform.db, seeded, url: server.url, log: (l) => server.logger.info(l) });
      lines.push(
        `Endpoint ${DEMO_ENDPOINT.name} will serve ${DEMO_ENDPOINT.model}@${DEMO_ENDPOINT.alias} once registered: ${server.url}/endpoints`,
      );
    }
  }
  lines.push(`(ready in ${((Date.now() - t0) / 1000).toFixed(1)} s; Ctrl+C stops it)`);
  // A terminal gets the banner as it always read; a container's log stays one JSON object a line.
  if (logFormat === "pretty") console.log(`\n${lines.join("\n")}`);
  else for (const line of lines) server.logger.info(line);

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    server.logger.info(`${signal}: shutting down`);
    const force = setTimeout(() => process.exit(1), 20_000);
    force.unref();
    Promise.resolve(agent?.stop())
      .then(() => server.close())
      .then(
        () => process.exit(0),
        (err: unknown) => {
          server.logger.error("shutdown failed", { error: err instanceof Error ? err.message : String(err) });
          process.exit(1);
        },
      );
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
}

/**
 * The demo account, team, project and a running study with finished trials (idempotent:
 * a second start finds them). The password is fixed and printed: it is a local demo.
 */
const DEMO_PASSWORD = "autoglm-demo";

async function seedDemo(db: DbHandle): Promise<{ email: string; password: string; orgId: string; userId: string } | null> {
  try {
    const seeded = await seedDemoAll(db, { password: DEMO_PASSWORD });
    return { email: seeded.email, password: DEMO_PASSWORD, orgId: seeded.orgId, userId: seeded.userId };
  } catch (err) {
    console.error(`demo seed failed: ${err instanceof Error ? err.message : String(err)}`);
    return null;
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
});
