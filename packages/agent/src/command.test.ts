import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { renderCommand } from "./command.js";
import { buildTrialEnv, redact } from "./env.js";
import { LogBuffer } from "./log-buffer.js";
import { parseNvidiaSmi } from "./system.js";

const dir = mkdtempSync(path.join(tmpdir(), "autoglm-cmd-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const marker = path.join(dir, "pwn");

const HOSTILE = [
  `; touch ${marker}`,
  `$(touch ${marker})`,
  `\`touch ${marker}\``,
  `a\ntouch ${marker}`,
  `' ; touch ${marker} ; '`,
  `" ; touch ${marker} ; "`,
  `\\'; touch ${marker}; echo \\'`,
  `--output=/etc/x`,
  `$HOME`,
  `&& touch ${marker} || true`,
  `| tee ${marker}`,
  `> ${marker}`,
];

/** Runs the rendered command in a real shell and returns its stdout. */
function sh(template: string, params: Record<string, unknown>): string {
  return execFileSync("/bin/sh", ["-c", renderCommand(template, params)], { encoding: "utf8" });
}

describe("renderCommand (S8: hostile parameter values never run)", () => {
  for (const [i, value] of HOSTILE.entries()) {
    it(`value #${i} ${JSON.stringify(value).slice(0, 40)} is passed verbatim in every quoting context`, () => {
      const contexts = [
        `printf '%s' {p}`,
        `printf '%s' "{p}"`,
        `printf '%s' '{p}'`,
        `printf '%s' --flag={p}`,
        `printf '%s' "--flag={p}"`,
        `true && printf '%s' {p} | cat`,
      ];
      const expected = [value, value, value, `--flag=${value}`, `--flag=${value}`, value];
      contexts.forEach((tpl, j) => {
        expect(sh(tpl, { p: value })).toBe(expected[j]);
      });
      expect(existsSync(marker)).toBe(false);
    });
  }

  it("leaves ${VAR}, unknown names and numbers alone / formatted", () => {
    expect(renderCommand("echo ${HOME} {unknown} {lr} {n} {flag}", { lr: 0.001, n: 3, flag: true })).toBe(
      "echo ${HOME} {unknown} '0.001' '3' 'true'",
    );
  });
});

describe("trial environment", () => {
  it("passes only allowlisted variables, then run.env, then AUTOGLM_* that run.env cannot override", () => {
    const env = buildTrialEnv({
      agentEnv: {
        PATH: "/usr/bin",
        HOME: "/root",
        AUTOGLM_TOKEN: "agl_secret",
        DATABASE_URL: "postgres://u:p@h/db",
        AUTH_SECRET: "x",
        LC_ALL: "C",
      },
      studyEnv: { MY_FLAG: "1", AUTOGLM_TRIAL_ID: "forged", CUDA_VISIBLE_DEVICES: "0,1,2" },
      params: { lr: 0.1 },
      trialId: "t",
      studyId: "s",
      attempt: 2,
      number: 5,
      outputDir: "/out",
      resumeFrom: "/out/prev",
      gpus: [1],
    });
    expect(env).toEqual({
      PATH: "/usr/bin",
      HOME: "/root",
      LC_ALL: "C",
      MY_FLAG: "1",
      PYTHONUNBUFFERED: "1",
      AUTOGLM_PARAMS: '{"lr":0.1}',
      AUTOGLM_TRIAL_ID: "t",
      AUTOGLM_STUDY_ID: "s",
      AUTOGLM_ATTEMPT: "2",
      AUTOGLM_TRIAL_NUMBER: "5",
      AUTOGLM_OUTPUT_DIR: "/out",
      AUTOGLM_RESUME_FROM: "/out/prev",
      CUDA_VISIBLE_DEVICES: "1",
    });
  });

  it("redacts API tokens from logs (S10)", () => {
    expect(redact("token=agl_abcdefghijklmnop123 ok")).toBe("token=agl_[REDACTED] ok");
    expect(redact("my secret-value-123 here", ["secret-value-123"])).toBe("my [REDACTED] here");
  });
});

describe("system probes and bounded logs", () => {
  it("parses nvidia-smi CSV", () => {
    expect(parseNvidiaSmi("0, NVIDIA H100 80GB HBM3, 81559\n1, Tesla T4, 15360\n\n")).toEqual([
      { index: 0, model: "NVIDIA H100 80GB HBM3", memoryMb: 81559 },
      { index: 1, model: "Tesla T4", memoryMb: 15360 },
    ]);
    expect(parseNvidiaSmi("No devices were found")).toEqual([]);
  });

  it("keeps the end of the log within its byte limit", () => {
    const log = new LogBuffer(1000);
    for (let i = 0; i < 1000; i++) log.push(`line ${i} ${"x".repeat(20)}`);
    const text = log.text();
    expect(text.length).toBeLessThan(1100);
    expect(text).toContain("line 999");
    expect(text).toMatch(/^\[\d+ earlier lines dropped\]/);
  });
});
