#!/usr/bin/env node
import { runAgentCli } from "./run-cli.js";

// `autoglm-agent [start] --server URL --token T …` (also reachable as `autoglm agent start`).
process.exitCode = await runAgentCli(process.argv.slice(2));
process.exit();
