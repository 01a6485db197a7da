#!/usr/bin/env node
import { runCli } from "./cli-program.js";

// process.exit is safe here: on Linux, writes to pipes and files are synchronous, so
// nothing printed is lost; and it stops idle keep-alive sockets from delaying the exit.
const code = await runCli(process.argv.slice(2));
process.exit(code);
