import { workspaceConfig } from "@autoglm/eslint-config";

export default workspaceConfig("@autoglm/prometheus-scrape");
