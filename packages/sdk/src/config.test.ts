import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { configPath, readStoredConfig, resolveConfig, writeStoredConfig } from "./config.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "autoglm-config-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("config", () => {
  it("defaults to ~/.config/autoglm/config.json and honours AUTOGLM_CONFIG and XDG_CONFIG_HOME", () => {
    expect(configPath({ AUTOGLM_CONFIG: "/x/c.json" })).toBe("/x/c.json");
    expect(configPath({ XDG_CONFIG_HOME: "/xdg" })).toBe("/xdg/autoglm/config.json");
    expect(configPath({})).toMatch(/\.config\/autoglm\/config\.json$/);
  });

  it("writes mode 0600 in a 0700 directory, even over a world-readable file", async () => {
    const path = join(dir, "nested", "config.json");
    await writeStoredConfig(path, { server: "http://a", token: "agl_1" });
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect((await stat(join(dir, "nested"))).mode & 0o777).toBe(0o700);
    await writeFile(path, "{}", { mode: 0o644 });
    await writeStoredConfig(path, { server: "http://b", token: "agl_2" });
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(JSON.parse(await readFile(path, "utf8"))).toEqual({ server: "http://b", token: "agl_2" });
  });

  it("resolves flags over env over the stored file", async () => {
    const path = join(dir, "config.json");
    await writeStoredConfig(path, { server: "http://stored", token: "agl_stored" });
    const env = { AUTOGLM_CONFIG: path };
    expect(await resolveConfig({}, env)).toMatchObject({ server: "http://stored", token: "agl_stored" });
    expect(await resolveConfig({}, { ...env, AUTOGLM_TOKEN: "agl_env" })).toMatchObject({
      server: "http://stored",
      token: "agl_env",
      source: { server: "config", token: "env" },
    });
    expect(
      await resolveConfig({ server: "http://flag" }, { ...env, AUTOGLM_SERVER: "http://env", AUTOGLM_TOKEN: "agl_env" }),
    ).toMatchObject({ server: "http://flag", token: "agl_env", source: { server: "flag", token: "env" } });
  });

  it("says how to log in when nothing is configured, and names a corrupt file", async () => {
    await expect(resolveConfig({}, { AUTOGLM_CONFIG: join(dir, "missing.json") })).rejects.toThrow(
      /no server and token configured: run `autoglm login/,
    );
    const bad = join(dir, "bad.json");
    await writeFile(bad, "{nope");
    await expect(readStoredConfig(bad)).rejects.toThrow(`${bad} is not valid JSON`);
  });
});
