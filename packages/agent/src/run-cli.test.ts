import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runAgentCli } from "./run-cli.js";

/** Every case exits before an agent starts: the server address is never dialled. */
const SERVER = ["--server", "http://127.0.0.1:9"];

describe("autoglm agent start: the command line", () => {
  let out = "";
  let err = "";
  const io = { stdout: (t: string) => void (out += t), stderr: (t: string) => void (err += t) };
  let savedToken: string | undefined;

  beforeEach(() => {
    out = err = "";
    savedToken = process.env.AUTOGLM_TOKEN;
    delete process.env.AUTOGLM_TOKEN;
  });
  afterEach(() => {
    if (savedToken !== undefined) process.env.AUTOGLM_TOKEN = savedToken;
  });

  it("--help prints the usage on stdout and exits 0", async () => {
    expect(await runAgentCli(["start", "--help"], io)).toBe(0);
    expect(out).toContain("autoglm agent start --server URL --token agl_…");
    expect(err).toBe("");
  });

  it("an unknown flag exits 2 naming it, with the usage", async () => {
    expect(await runAgentCli(["start", ...SERVER, "--token", "agl_test", "--max-trails", "2"], io)).toBe(2);
    expect(err).toContain("autoglm agent: Unknown option '--max-trails'");
    expect(err).toContain("autoglm agent start --server URL");
  });

  it("exits 2 without a token, saying where to give one", async () => {
    expect(await runAgentCli(["start", ...SERVER], io)).toBe(2);
    expect(err).toBe("autoglm agent: a token with the agent scope is required (--token or AUTOGLM_TOKEN)\n");
  });

  it("exits 2 on a label that is not key=value and on a number that is not a positive whole one, quoting the value", async () => {
    expect(await runAgentCli(["start", ...SERVER, "--token", "agl_test", "--label", "gpu"], io)).toBe(2);
    expect(err).toBe('autoglm agent: --label must be key=value (got "gpu")\n');
    err = "";
    expect(await runAgentCli(["start", ...SERVER, "--token", "agl_test", "--label", "a=b", "--heartbeat-ms", "1.5"], io)).toBe(2);
    expect(err).toBe('autoglm agent: --heartbeat-ms must be a positive whole number (got "1.5")\n');
    err = "";
    expect(await runAgentCli(["start", ...SERVER, "--token", "agl_test", "--max-trials", "0"], io)).toBe(2);
    expect(err).toBe('autoglm agent: --max-trials must be a positive whole number (got "0")\n');
  });

  it("exits 2 on a metrics port out of range and on a metrics host without a port", async () => {
    expect(await runAgentCli(["start", ...SERVER, "--token", "agl_test", "--metrics-port", "70000"], io)).toBe(2);
    expect(err).toBe('autoglm agent: --metrics-port must be a port number, 1-65535 (got "70000")\n');
    err = "";
    expect(await runAgentCli(["start", ...SERVER, "--token", "agl_test", "--metrics-host", "0.0.0.0"], io)).toBe(2);
    expect(err).toBe("autoglm agent: --metrics-host needs --metrics-port\n");
  });
});
