import type { Command } from "commander";
import { serveSnippets } from "@autoglm/protocol";
import type { AutoglmClient } from "../client.js";
import { AutoglmError } from "../errors.js";
import type { EndpointDetail } from "../router-types.js";
import { parseCliDuration, parseFinite, parseStep, STUDY_ARGUMENT } from "./args.js";
import { cliDate, endpointTarget, endpointText } from "./endpoint-text.js";
import type { CliContext } from "./context.js";
import { json, renderTable } from "./output.js";

/** `autoglm deploy` and `autoglm endpoint …`: inference endpoints served by the team's agents. */
export function registerEndpointCommands(program: Command, ctx: CliContext): void {
  registerDeploy(program, ctx);
  const endpoint = program
    .command("endpoint")
    .description("inference endpoints: list, show, update and delete them; create and revoke their keys");
  registerList(endpoint, ctx);
  registerShow(endpoint, ctx);
  registerUpdate(endpoint, ctx);
  registerDelete(endpoint, ctx);
  const key = endpoint.command("key").description("an endpoint's keys (agl_…, scope infer, open only that endpoint)");
  registerKeyCreate(key, ctx);
  registerKeyRevoke(key, ctx);
}

/** The model's input width from its registry signature (for the example row), null when unknown. */
async function inputWidth(client: AutoglmClient, model: string, version: number): Promise<number | null> {
  try {
    const v = await client.models.resolve(`${model}/${version}`);
    return v.signature?.inputs.shape[1] ?? null;
  } catch {
    return null;
  }
}

/** One line per look while waiting, only when something changed (a pipe gets a short log, not a flood). */
function progressLine(io: CliContext["io"], version: number): (e: EndpointDetail) => void {
  let last = "";
  return (e) => {
    const mine = e.replicas.filter((r) => r.version === version && r.state !== "stopped");
    const text = mine.length
      ? mine.map((r) => `${r.state}${r.agent ? ` on ${r.agent}` : ""}`).join(", ")
      : "waiting for an agent";
    if (text !== last) io.stderr(`autoglm: ${e.name} v${version}: ${text}\n`);
    last = text;
  };
}

type TSizingOpts = { min?: number; max?: number; targetConcurrency?: number; scaleDownDelay?: number };
type TDeployOpts = TSizingOpts & {
  study: string;
  name?: string;
  model?: string;
  timeout?: number;
  wait: boolean;
  json?: boolean;
};

/** `--min/--max/--target-concurrency/--scale-down-delay` on deploy and update (the server checks their ranges). */
function sizingOptions(command: Command): Command {
  return command
    .option("--min <n>", "fewest replicas (0..16)", parseStep)
    .option("--max <n>", "most replicas (1..16); the autoscaler moves between min and max", parseStep)
    .option("--target-concurrency <n>", "in-flight requests per replica the autoscaler aims at (default 4)", parseFinite)
    .option(
      "--scale-down-delay <duration>",
      "how long the load must stay low before replicas drain (30s, 2m; default 60s)",
      (v: string) => parseCliDuration(v, "--scale-down-delay"),
    );
}

/** The endpoint.create/update/deploy fields the sizing flags set (only those given). */
function sizingInput(o: TSizingOpts) {
  const autoscale = {
    ...(o.targetConcurrency !== undefined ? { targetConcurrency: o.targetConcurrency } : {}),
    ...(o.scaleDownDelay !== undefined ? { scaleDownDelaySeconds: o.scaleDownDelay } : {}),
  };
  return {
    ...(o.min !== undefined ? { minReplicas: o.min } : {}),
    ...(o.max !== undefined ? { maxReplicas: o.max } : {}),
    ...(Object.keys(autoscale).length ? { autoscale } : {}),
  };
}

/** What a person reads after a deploy: the URL, the key once, and a curl line to paste. */
function printDeployed(
  io: CliContext["io"],
  r: { url: string; key: string | null; model: string; version: number; protocols: string[]; created: boolean },
  name: string,
  width: number | null,
): void {
  io.stdout(
    `${r.created ? "Created" : "Updated"} endpoint ${name}: ${r.model} version ${r.version}\n` +
      `  URL:       ${r.url}\n` +
      `  protocols: ${r.protocols.join(", ")}\n` +
      (r.key
        ? `  key:       ${r.key}\n             (shown this once; create another with: autoglm endpoint key create ${name})\n`
        : `  key:       (unchanged; create one with: autoglm endpoint key create ${name})\n`),
  );
  const [first] = serveSnippets({ url: r.url, endpoint: name, key: r.key, protocols: r.protocols, inputWidth: width });
  if (first) io.stdout(`\n${first.title}:\n${first.code}\n`);
}

function registerDeploy(program: Command, { io, withClient }: CliContext): void {
  sizingOptions(program.command("deploy"))
    .description(
      "deploy a study's best trial: register it, point the model's production alias at it, create or update the endpoint, wait for a ready replica",
    )
    .requiredOption("--study <study>", `the study whose best trial to serve: ${STUDY_ARGUMENT}`)
    .option("--name <endpoint>", "the endpoint's name (default: the model's)")
    .option("--model <name>", "the model to register under (default: the spec's register.model, else the study's name)")
    .option("--timeout <duration>", "how long to wait for a ready replica (300, 90s, 5m); default 5m", (v: string) =>
      parseCliDuration(v, "--timeout"),
    )
    .option("--no-wait", "return once the endpoint points at the version, without waiting for a replica")
    .option("--json", 'print {"url", "key", "model", "version", "protocols"}')
    .action(
      withClient(async (client, opts: TDeployOpts) => {
        const input = {
          studyId: await client.studies.resolveId(opts.study),
          ...(opts.name ? { name: opts.name } : {}),
          ...(opts.model ? { model: opts.model } : {}),
          ...sizingInput(opts),
        };
        const r = await client.deploy(input, { wait: false });
        const name = r.endpoint.name;
        if (opts.wait) {
          io.stderr(`autoglm: ${name} now follows ${r.model}@production (version ${r.version}); waiting for a ready replica\n`);
          await client.endpoints.waitReady(name, r.version, {
            timeoutMs: (opts.timeout ?? 300) * 1000,
            onProgress: progressLine(io, r.version),
          });
        }
        const out = { url: r.url, key: r.key, model: r.model, version: r.version, protocols: r.protocols };
        if (opts.json) return void io.stdout(json(out));
        printDeployed(io, { ...out, created: r.created }, name, await inputWidth(client, r.model, r.version));
      }),
    );
}

function registerList(endpoint: Command, { io, withClient }: CliContext): void {
  endpoint
    .command("list")
    .description("the team's endpoints: model@alias → version, replicas ready/desired, URL")
    .option("--json", "print JSON")
    .action(
      withClient(async (client, opts: { json?: boolean }) => {
        const rows = await client.endpoints.list();
        if (opts.json) return void io.stdout(json(rows));
        if (rows.length === 0)
          return void io.stdout("no endpoints; deploy a study's best trial with: autoglm deploy --study STUDY_ID\n");
        io.stdout(
          renderTable(
            ["NAME", "SERVES", "READY", "URL"],
            rows.map((e) => [e.name, endpointTarget(e), `${e.replicaCounts.ready}/${e.desiredReplicas}`, e.url]),
          ),
        );
      }),
    );
}

function registerShow(endpoint: Command, { io, withClient }: CliContext): void {
  endpoint
    .command("show")
    .description("an endpoint: its replicas (state, agent, reason), version history and keys")
    .argument("<name>", "the endpoint")
    .option("--json", "print JSON")
    .action(
      withClient(async (client, name: string, opts: { json?: boolean }) => {
        const e = await client.endpoints.get(name);
        if (opts.json) return void io.stdout(json(e));
        io.stdout(endpointText(e));
      }),
    );
}

function registerUpdate(endpoint: Command, { io, withClient }: CliContext): void {
  sizingOptions(endpoint.command("update"))
    .description("change an endpoint's replicas (min, max) and autoscaling (target concurrency, scale-down delay)")
    .argument("<name>", "the endpoint")
    .option("--json", "print the endpoint as JSON")
    .action(
      withClient(async (client, name: string, opts: TSizingOpts & { json?: boolean }) => {
        const input = sizingInput(opts);
        if (Object.keys(input).length === 0) {
          throw new AutoglmError(
            "BAD_REQUEST",
            "nothing to change: give --min, --max, --target-concurrency or --scale-down-delay",
          );
        }
        const e = await client.endpoints.update({ name, ...input });
        if (opts.json) return void io.stdout(json(e));
        io.stdout(endpointText(e));
      }),
    );
}

function registerDelete(endpoint: Command, { io, withClient }: CliContext): void {
  endpoint
    .command("delete")
    .description("delete an endpoint: its keys stop working at once, its replicas drain")
    .argument("<name>", "the endpoint")
    .option("--json", "print {ok}")
    .action(
      withClient(async (client, name: string, opts: { json?: boolean }) => {
        const r = await client.endpoints.delete(name);
        io.stdout(opts.json ? json(r) : `deleted endpoint ${name}\n`);
      }),
    );
}

function registerKeyCreate(key: Command, { io, withClient }: CliContext): void {
  key
    .command("create")
    .description("a new key for the endpoint, shown this once")
    .argument("<name>", "the endpoint")
    .option("--key-name <label>", "a label for the key (default key)")
    .option("--json", "print {id, key, prefix, expiresAt}")
    .action(
      withClient(async (client, name: string, opts: { keyName?: string; json?: boolean }) => {
        const k = await client.endpoints.createKey(name, opts.keyName ? { keyName: opts.keyName } : {});
        if (opts.json) return void io.stdout(json(k));
        io.stdout(`${k.key}\n`);
        io.stderr(`autoglm: key ${k.id} for endpoint ${name}, expires ${cliDate(k.expiresAt)}; shown this once\n`);
      }),
    );
}

function registerKeyRevoke(key: Command, { io, withClient }: CliContext): void {
  key
    .command("revoke")
    .description("revoke one of the endpoint's keys: its next request answers 401")
    .argument("<name>", "the endpoint")
    .argument("<key>", "the key's id, or its prefix (agl_…, as `endpoint show` lists it)")
    .option("--json", "print {ok, keyId}")
    .action(
      withClient(async (client, name: string, ref: string, opts: { json?: boolean }) => {
        const e = await client.endpoints.get(name);
        const live = e.keys.filter((k) => !k.revokedAt);
        const prefix = ref.replace(/…$/, "");
        const hits = live.filter((k) => k.id === ref || (prefix.length >= 6 && k.prefix.startsWith(prefix)));
        if (hits.length !== 1) {
          throw new AutoglmError(
            hits.length ? "AMBIGUOUS" : "NOT_FOUND",
            hits.length
              ? `"${ref}" matches ${hits.length} keys of endpoint ${name}; give the key's id`
              : `endpoint ${name} has no live key "${ref}" (autoglm endpoint show ${name} lists them)`,
          );
        }
        await client.endpoints.revokeKey(name, hits[0]!.id);
        io.stdout(
          opts.json
            ? json({ ok: true, keyId: hits[0]!.id })
            : `revoked key ${hits[0]!.prefix}… (${hits[0]!.id}) of endpoint ${name}\n`,
        );
      }),
    );
}
