import { describe, expect, it } from "vitest";
import { replicaUrlRefusal } from "./replica-url.js";

describe("replicaUrlRefusal", () => {
  it("allows the origins agents report: loopback, private addresses, pod DNS names", () => {
    for (const ok of [
      "http://127.0.0.1:41234",
      "http://10.0.3.7:8080/",
      "https://replica-0.serve.svc:443",
      "http://[::1]:9000",
    ]) {
      expect(replicaUrlRefusal(ok), ok).toBeNull();
    }
  });

  it("refuses cloud metadata addresses, credentials, paths and other schemes", () => {
    for (const bad of [
      "http://169.254.169.254",
      "http://169.254.169.254/latest/meta-data/",
      "http://[fe80::1]:80",
      "http://[::ffff:169.254.169.254]",
      "http://0.0.0.0:80",
      "http://metadata.google.internal",
      "http://user:pw@10.0.0.1:80",
      "http://10.0.0.1:80/admin",
      "http://10.0.0.1:80?x=1",
      "file:///etc/passwd",
      "not a url",
    ]) {
      expect(replicaUrlRefusal(bad), bad).not.toBeNull();
    }
  });
});
