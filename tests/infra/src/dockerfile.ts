import { readFileSync } from "node:fs";
import path from "node:path";
import { DockerfileParser, type Instruction, type PropertyInstruction } from "dockerfile-ast";
import { repoRoot } from "./tools.js";

/** What `docker run` takes from an image: the final stage's settings. */
export interface ImageConfig {
  file: string;
  /** Every stage's base image, in order; the last is the runtime's. */
  bases: string[];
  entrypoint: string[];
  cmd: string[];
  env: Record<string, string>;
  workdir: string;
  user: string;
  /** The final stage's instructions as written (keyword + the rest, flags included), for the checks. */
  runtime: { keyword: string; args: string }[];
  /** The build stages' instructions as written. */
  build: { keyword: string; args: string }[];
}

/** Exec-form ENTRYPOINT/CMD only: the shell form would add `/bin/sh -c` and break signals. */
function execForm(instr: Instruction): string[] {
  const content = instr.getArgumentsContent() ?? "";
  const parsed: unknown = JSON.parse(content);
  if (!Array.isArray(parsed) || !parsed.every((a) => typeof a === "string")) {
    throw new Error(`${instr.getKeyword()} ${content}: not the exec (JSON array) form`);
  }
  return parsed;
}

export function readImage(dockerfile: string): ImageConfig {
  const file = path.join(repoRoot, dockerfile);
  const ast = DockerfileParser.parse(readFileSync(file, "utf8"));
  const instructions = ast.getInstructions();
  const lastFrom = instructions.findLastIndex((i) => i.getKeyword() === "FROM");
  // The instruction's text after its keyword, flags included (COPY --from=…), lines joined.
  const plain = (i: Instruction) => ({
    keyword: i.getKeyword(),
    args: i
      .getTextContent()
      .replace(/^\s*\S+\s*/, "")
      .replace(/\\\n/g, " ")
      .trim(),
  });
  const image: ImageConfig = {
    file: dockerfile,
    bases: ast.getFROMs().map((f) => f.getImage() ?? ""),
    entrypoint: [],
    cmd: [],
    env: {},
    workdir: "/",
    user: "root",
    runtime: instructions.slice(lastFrom).map(plain),
    build: instructions.slice(0, lastFrom).map(plain),
  };
  for (const instr of instructions.slice(lastFrom + 1)) {
    switch (instr.getKeyword()) {
      case "ENTRYPOINT":
        image.entrypoint = execForm(instr);
        image.cmd = []; // an ENTRYPOINT resets the CMD inherited so far
        break;
      case "CMD":
        image.cmd = execForm(instr);
        break;
      case "ENV":
        for (const p of (instr as PropertyInstruction).getProperties()) image.env[p.getName()] = p.getValue() ?? "";
        break;
      case "WORKDIR":
        image.workdir = path.posix.resolve(image.workdir, instr.getArgumentsContent() ?? "/");
        break;
      case "USER":
        image.user = instr.getArgumentsContent() ?? "root";
        break;
    }
  }
  return image;
}
