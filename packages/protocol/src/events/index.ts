export * from "./constants.js";
export * from "./schemas.js";
export * from "./maps.js";
export * from "./serving.js";
