export * from "./study-spec.js";
