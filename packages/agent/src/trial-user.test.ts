import { describe, expect, it } from "vitest";
import { runAgentCli } from "./run-cli.js";
import { lookupUser, parseRunAs } from "./trial-user.js";

/** A passwd with two users, so the cases do not depend on the machine's. */
const users = [
  { name: "trainer", uid: 1500, gid: 1600 },
  { name: "nobody", uid: 65534, gid: 65534 },
];
const lookup = (key: string | number) => users.find((u) => u.name === String(key) || String(u.uid) === String(key)) ?? null;

describe("--run-as", () => {
  it("takes self, a user name, UID and UID:GID", () => {
    expect(parseRunAs("self", lookup)).toEqual({ kind: "self" });
    expect(parseRunAs("trainer", lookup)).toEqual({ kind: "user", user: { uid: 1500, gid: 1600 }, label: "trainer" });
    expect(parseRunAs("nobody", lookup)).toEqual({ kind: "user", user: { uid: 65534, gid: 65534 }, label: "nobody" });
    // A known uid takes its primary group; an unknown one its own number.
    expect(parseRunAs("1500", lookup)).toEqual({ kind: "user", user: { uid: 1500, gid: 1600 }, label: "trainer" });
    expect(parseRunAs("4242", lookup)).toEqual({ kind: "user", user: { uid: 4242, gid: 4242 }, label: "4242" });
    expect(parseRunAs("4242:100", lookup)).toEqual({ kind: "user", user: { uid: 4242, gid: 100 }, label: "4242:100" });
    expect(parseRunAs("trainer:100", lookup)).toEqual({ kind: "user", user: { uid: 1500, gid: 100 }, label: "trainer" });
  });

  it("refuses an unknown user, a named group, extra fields and an empty value, saying which", () => {
    expect(() => parseRunAs("ghost", lookup)).toThrow('no user named "ghost"');
    expect(() => parseRunAs("1500:staff", lookup)).toThrow('the group must be a number (got "staff")');
    expect(() => parseRunAs("1:2:3", lookup)).toThrow("USER, UID[:GID] or self");
    expect(() => parseRunAs("", lookup)).toThrow("needs a user name");
    expect(() => parseRunAs("99999999999", lookup)).toThrow("below 4294967295");
  });

  it("finds this machine's users by name and uid", () => {
    expect(lookupUser("root")).toMatchObject({ name: "root", uid: 0, gid: 0 });
    expect(lookupUser(0)).toMatchObject({ name: "root" });
    expect(lookupUser("no-such-user-autoglm")).toBeNull();
  });

  it("the CLI exits 2 with the reason for a bad --run-as, before connecting anywhere", async () => {
    let err = "";
    const io = { stdout: () => {}, stderr: (t: string) => void (err += t) };
    const code = await runAgentCli(
      ["start", "--server", "http://127.0.0.1:9", "--token", "agl_test", "--run-as", "no-such-user-autoglm"],
      io,
    );
    expect(code).toBe(2);
    expect(err).toContain('--run-as: no user named "no-such-user-autoglm"');
    err = "";
    expect(await runAgentCli(["--token", "agl_test", "--run-as", "12:x"], io)).toBe(2);
    expect(err).toContain("the group must be a number");
  });
});
