import { workspaceConfig } from "@autoglm/eslint-config";

export default workspaceConfig("@autoglm/native", {
  // napi-rs writes these two on every build.
  ignores: ["binding.cjs", "binding.d.ts"],
});
