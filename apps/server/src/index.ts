export { startServer, type StartServerOptions, type RunningServer } from "./server.js";
export { loadEnv, ZServerEnv, type TServerEnv } from "./env.js";
export { PLATFORM_KEY, type PlatformHandle } from "./platform.js";
