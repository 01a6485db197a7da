export * from "./study-spec.js";
export * from "./metric-line.js";
export * from "./events/index.js";
export * from "./builtin.js";
