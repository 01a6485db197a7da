import { workspaceConfig } from "./index.js";

export default workspaceConfig("@autoglm/eslint-config");
