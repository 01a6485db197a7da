// Browser-safe: the dashboard bundles this. Modules needing node:crypto are subpath exports
// (@autoglm/protocol/api-token, @autoglm/protocol/model-manifest), not re-exported here.
export * from "./study-spec.js";
export * from "./serve-section.js";
export * from "./study-objectives.js";
export * from "./metric-line.js";
export * from "./events/index.js";
export * from "./builtin.js";
export * from "./grid-points.js";
export * from "./spec-size.js";
export * from "./spec-yaml.js";
export * from "./text.js";
export * from "./http-limits.js";
export * from "./domain-events.js";
export * from "./clock.js";
export * from "./logger.js";
export * from "./model-names.js";
export * from "./serve-snippets.js";
export * from "./endpoint-revisions.js";
export * from "./name-filter.js";
