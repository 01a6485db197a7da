import { workspaceConfig } from "@autoglm/eslint-config";

// The root's own files (scripts/, examples/); each workspace package runs `eslint .` itself.
export default workspaceConfig("open-autoglm", {
  ignores: ["apps/**", "packages/**", "native/**", "tests/**", "tooling/**", "infra/**", "test-results/**", ".data/**"],
});
