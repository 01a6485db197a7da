import { type Command, InvalidArgumentError } from "commander";
import type { ModelDetail, ModelVersion } from "../router-types.js";
import { TRIAL_ARGUMENT } from "./args.js";
import { formatBytes, printDownloadProgress } from "./download-progress.js";
import { usageError, type CliContext } from "./context.js";
import { formatParams, formatValue, json, renderTable } from "./output.js";

/** `autoglm model …`: register a trial's files as a version, list and show models, move aliases, download verified files. */
export function registerModelCommands(program: Command, ctx: CliContext): void {
  const model = program
    .command("model")
    .description("the model registry: register a trial's outputs, list and show models, move aliases, download verified files");
  registerRegister(model, ctx);
  registerList(model, ctx);
  registerShow(model, ctx);
  registerAlias(model, ctx);
  registerDownload(model, ctx);
}

/** A Commander parser for a number counted from 1 (a version, an attempt). */
function counted(what: string): (raw: string) => number {
  return (raw) => {
    const n = Number(raw);
    if (!/^[1-9][0-9]{0,9}$/.test(raw) || n > 2 ** 31 - 1)
      throw new InvalidArgumentError(`"${raw}" is not ${what} (1, 2, 3, …).`);
    return n;
  };
}

const date = (iso: string) => iso.slice(0, 19).replace("T", " ");
const shortDigest = (d: string) => `sha256:${d.slice(0, 12)}`;

function registerRegister(model: Command, { io, withClient }: CliContext): void {
  model
    .command("register")
    .description("register a trial's uploaded files as the model's next version (the model is created on first use)")
    .requiredOption("--trial <trial>", `the trial whose outputs to register: ${TRIAL_ARGUMENT}`)
    .requiredOption("--name <name>", "the model's name (letters, digits, . _ -)")
    .option("--alias <alias>", "point this alias (e.g. champion) at the new version")
    .option("--description <text>", "the version's description")
    .option(
      "--attempt <n>",
      "the trial attempt whose files to take (default: its latest with files)",
      counted("an attempt number"),
    )
    .option("--json", "print the new version as JSON ({model, version, digest, uri, flavor, files, …})")
    .action(
      withClient(
        async (
          client,
          opts: { trial: string; name: string; alias?: string; description?: string; attempt?: number; json?: boolean },
        ) => {
          const v = await client.models.register({
            trialId: await client.trials.resolveId(opts.trial),
            name: opts.name,
            ...(opts.alias ? { alias: opts.alias } : {}),
            ...(opts.description ? { description: opts.description } : {}),
            ...(opts.attempt !== undefined ? { attempt: opts.attempt } : {}),
          });
          if (opts.json) return void io.stdout(json(v));
          const alias = opts.alias ? `; alias ${opts.alias} → ${v.version}` : "";
          io.stdout(
            `Registered ${v.model} version ${v.version} (sha256:${v.digest})${alias}\n` +
              `  ${v.uri}  flavor ${v.flavor}  ${v.files.length} file${v.files.length === 1 ? "" : "s"}, ${formatBytes(v.totalBytes)}\n`,
          );
        },
      ),
    );
}

function registerList(model: Command, { io, withClient }: CliContext): void {
  model
    .command("list")
    .description("the team's models: latest version, aliases, best metric")
    .option("--json", "print JSON")
    .action(
      withClient(async (client, opts: { json?: boolean }) => {
        const rows = await client.models.list();
        if (opts.json) return void io.stdout(json(rows));
        if (rows.length === 0)
          return void io.stdout("no models; register one with: autoglm model register --trial TRIAL_ID --name NAME\n");
        io.stdout(
          renderTable(
            ["NAME", "LATEST", "VERSIONS", "ALIASES", "BEST", "UPDATED"],
            rows.map((m) => [
              m.name,
              m.latest ? `v${m.latest.version}` : "-",
              String(m.versionCount),
              m.aliases.map((a) => `${a.alias}→${a.version}`).join(",") || "-",
              m.best ? `${m.best.metric} ${formatValue(m.best.value)} (v${m.best.version})` : "-",
              date(m.updatedAt),
            ]),
          ),
        );
      }),
    );
}

/** One line of a version's lineage: where it came from, with what, by whom. */
function lineageLine(v: ModelVersion): string {
  const l = v.lineage;
  const metric = l.objective.metric;
  const value = v.metrics[metric];
  return [
    `study "${l.study.name}" trial #${l.trial.number} attempt ${l.attempt}`,
    `${metric} ${formatValue(value ?? l.finalMetrics.value)}`,
    formatParams(l.params as Record<string, unknown>) || "no params",
    l.agent ? `agent ${l.agent.name}` : "ask/tell",
    `by ${l.registeredBy.email}`,
  ].join(" · ");
}

function printModel(io: CliContext["io"], m: ModelDetail): void {
  const live = m.versions.filter((v) => !v.deletedAt);
  io.stdout(`${m.name}: ${live.length} version${live.length === 1 ? "" : "s"}${m.description ? ` · ${m.description}` : ""}\n`);
  io.stdout(`aliases: ${m.aliases.map((a) => `${a.alias} → ${a.version}`).join(", ") || "none"}\n\n`);
  io.stdout(
    renderTable(
      ["VERSION", "CREATED", "FLAVOR", "FILES", "SIZE", "DIGEST", "ALIASES", "BY"],
      m.versions.map((v) => [
        `v${v.version}${v.deletedAt ? " (deleted)" : ""}`,
        date(v.createdAt),
        v.flavor,
        String(v.files.length),
        formatBytes(v.totalBytes),
        shortDigest(v.digest),
        v.aliases.join(",") || "-",
        v.createdByEmail ?? "-",
      ]),
    ),
  );
  io.stdout(`\nlineage:\n${m.versions.map((v) => `  v${v.version}  ${lineageLine(v)}\n`).join("")}`);
}

function printVersion(io: CliContext["io"], v: ModelVersion): void {
  io.stdout(
    `${v.uri}${v.aliases.length ? ` (${v.aliases.map((a) => `@${a}`).join(", ")})` : ""}\n` +
      `digest: sha256:${v.digest}\nflavor: ${v.flavor}\ncreated: ${date(v.createdAt)} by ${v.createdByEmail ?? "-"}\n` +
      `lineage: ${lineageLine(v)}\n\n`,
  );
  io.stdout(
    renderTable(
      ["FILE", "SIZE", "SHA256"],
      v.files.map((f) => [f.name, formatBytes(f.sizeBytes), f.sha256]),
    ),
  );
}

/** A reference naming one version (`@alias`, `/3`, `/latest`) rather than the whole model. */
function namesVersion(ref: string): boolean {
  return /[@/]/.test(ref.replace(/^models:\//, ""));
}

function registerShow(model: Command, { io, withClient }: CliContext): void {
  model
    .command("show")
    .description("a model's versions, aliases and lineage; or one version's files when REF names it (NAME@ALIAS, NAME/3)")
    .argument("<ref>", "NAME, or NAME@ALIAS, NAME/VERSION, models:/…")
    .option("--json", "print JSON")
    .action(
      withClient(async (client, ref: string, opts: { json?: boolean }) => {
        if (namesVersion(ref)) {
          const v = await client.models.resolve(ref);
          return void (opts.json ? io.stdout(json(v)) : printVersion(io, v));
        }
        const m = await client.models.get(ref);
        if (opts.json) return void io.stdout(json(m));
        printModel(io, m);
      }),
    );
}

function registerAlias(model: Command, { io, withClient }: CliContext): void {
  const move = withClient(
    async (client, name: string, alias: string, version: number | undefined, opts: { json?: boolean }, _cmd: Command) => {
      const r =
        version === undefined ? await client.models.removeAlias(name, alias) : await client.models.setAlias(name, alias, version);
      if (opts.json) return void io.stdout(json(r));
      io.stdout(
        r.version === null
          ? `removed alias ${r.alias} of ${r.model} (was version ${r.previousVersion})\n`
          : `alias ${r.alias} of ${r.model}: ${r.previousVersion === null ? "(new)" : r.previousVersion} → ${r.version}\n`,
      );
    },
  );
  model
    .command("alias")
    .description("point an alias (champion, production, …) at a version; --remove takes it off the model")
    .argument("<name>", "the model")
    .argument("<alias>", "the alias")
    .argument("[version]", "the version it should point at (not with --remove)", counted("a version number"))
    .option("--remove", "remove the alias (the version stays)")
    .option("--json", "print {model, alias, version, previousVersion}")
    .action(
      async (
        name: string,
        alias: string,
        version: number | undefined,
        opts: { remove?: boolean; json?: boolean },
        cmd: Command,
      ) => {
        // Checked before any config or request: a usage error is exit 2 even with no server configured.
        if (opts.remove && version !== undefined) throw usageError("autoglm: --remove takes NAME ALIAS only, no VERSION");
        if (!opts.remove && version === undefined)
          throw usageError("autoglm: missing VERSION (or --remove to take the alias off)");
        await move(name, alias, version, opts, cmd);
      },
    );
}

function registerDownload(model: Command, { io, withClient }: CliContext): void {
  model
    .command("download")
    .description("download a version's files into DIR, verifying every SHA-256 and the manifest digest")
    .argument("<ref>", "NAME@ALIAS, NAME/VERSION, NAME (latest) or models:/…")
    .requiredOption("-o, --output <dir>", "the directory to write into (created if missing)")
    .option("--json", "print {model, version, uri, digest, dir, totalBytes, files: [{name, path, sizeBytes, sha256}]}")
    .action(
      withClient(async (client, ref: string, opts: { output: string; json?: boolean }) => {
        const v = await client.models.resolve(ref);
        const progress = io.stderrIsTTY ? printDownloadProgress(io) : undefined;
        const got = await client.models.downloadVersion(v, opts.output, progress ? { onProgress: progress } : {});
        if (opts.json) return void io.stdout(json(got));
        for (const f of got.files) io.stdout(`${f.path}  ${formatBytes(f.sizeBytes)}  sha256:${f.sha256}\n`);
        io.stdout(
          `Downloaded ${got.uri} (${got.files.length} file${got.files.length === 1 ? "" : "s"}, ${formatBytes(got.totalBytes)}) to ${got.dir}; ` +
            `every SHA-256 and the digest sha256:${got.digest} verified\n`,
        );
      }),
    );
}
