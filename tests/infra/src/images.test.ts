import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { readImage } from "./dockerfile.js";
import { repoRoot, run, tool } from "./tools.js";

/**
 * The Dockerfiles, read as Docker reads them (dockerfile-ast): what the runtime stages are built
 * from and run as, and hadolint's rules. That their ENTRYPOINT/CMD start the platform is the
 * contract tests' part.
 */
const DOCKERFILES = ["infra/docker/server.Dockerfile", "infra/docker/agent.Dockerfile"];
const hadolint = tool("hadolint");
if ("skip" in hadolint) console.log(`SKIPPED hadolint: ${hadolint.skip}`);

const engines = (JSON.parse(readFileSync(path.join(repoRoot, "package.json"), "utf8")) as { engines: { node: string } }).engines
  .node;
const minNode = Number(/>=\s*(\d+)/.exec(engines)![1]);

/** The major version of an official Node image tag (node:20-bookworm-slim → 20). */
function nodeMajor(base: string): number | undefined {
  const m = /^node:(\d+)(?:[.-]|$)/.exec(base);
  return m ? Number(m[1]) : undefined;
}

describe.each(DOCKERFILES)("%s", (file) => {
  const image = readImage(file);
  const runtimeBase = image.bases.at(-1)!;

  it(`runs Node ${minNode}+ from the official Node image (engines ${engines})`, () => {
    const copiesNode = image.runtime.find((r) => r.keyword === "COPY" && /\/usr\/local\/bin\/node\b/.test(r.args));
    if (nodeMajor(runtimeBase) !== undefined) {
      expect(nodeMajor(runtimeBase)).toBeGreaterThanOrEqual(minNode);
    } else {
      // A CUDA base gets its node binary from an official Node stage, never from apt.
      expect(runtimeBase).toMatch(/^nvidia\/cuda:[\d.]+-runtime-/);
      const stage = /--from=(\S+)/.exec(copiesNode?.args ?? "")?.[1];
      const stageBase = image.build.find((b) => b.keyword === "FROM" && new RegExp(`\\bAS\\s+${stage}$`, "i").test(b.args));
      expect(nodeMajor(stageBase?.args.split(/\s+/)[0] ?? "")).toBeGreaterThanOrEqual(minNode);
      expect(
        image.runtime
          .filter((r) => r.keyword === "RUN")
          .map((r) => r.args)
          .join("\n"),
      ).not.toMatch(/\bnodejs\b/);
    }
  });

  it("builds @autoglm/native with a Rust toolchain in the build stage", () => {
    const rustStage = image.build.find((b) => b.keyword === "FROM" && /^rust:\S+\s+AS\s+rust$/i.test(b.args));
    expect(rustStage, "a FROM rust:… AS rust stage").toBeDefined();
    const build = image.build.map((b) => `${b.keyword} ${b.args}`).join("\n");
    expect(build).toContain("COPY --from=rust /usr/local/cargo /usr/local/cargo");
    expect(build).toMatch(/pnpm --filter "@autoglm\/(server|agent)\.\.\." run build/);
  });

  it("runs as a non-root user under tini", () => {
    expect(image.user).toMatch(/^[1-9]\d*$/);
    expect(image.entrypoint.slice(0, 2)).toEqual(["/usr/bin/tini", "--"]);
    expect(image.runtime.some((r) => r.keyword === "RUN" && /apt-get install[^\n]*\btini\b/.test(r.args))).toBe(true);
  });

  it("keeps the build context lean and secret-free (.git, node_modules, .env are ignored)", () => {
    const ignore = path.join(repoRoot, `${file}.dockerignore`);
    expect(existsSync(ignore)).toBe(true);
    const lines = readFileSync(ignore, "utf8").split("\n");
    for (const p of [".git", "**/node_modules", "**/target", ".env", ".data"]) expect(lines).toContain(p);
  });

  it.skipIf("skip" in hadolint)("passes hadolint", () => {
    const config = path.join(repoRoot, "infra/docker/.hadolint.yaml");
    expect(run("path" in hadolint ? hadolint.path : "", ["--config", config, path.join(repoRoot, file)])).toBe("");
  });
});
