import { workspaceConfig } from "@autoglm/eslint-config";

// bench/.venv is the dashboard bench's Python environment: optuna-dashboard ships its own bundled JS.
export default workspaceConfig("@autoglm/tests-e2e", { ignores: ["bench/.venv/**"] });
