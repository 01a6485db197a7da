import { workspaceConfig } from "@autoglm/eslint-config";

export default workspaceConfig("@autoglm/web", {
  ignores: ["next-env.d.ts"], // written by next build
  browser: ["src/**/*.tsx", "src/lib/**"],
  react: ["src/**/*.tsx", "src/lib/**"],
});
