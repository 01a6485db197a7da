#!/usr/bin/env node
// The floor of bench/artifacts.mjs's local-store rows: a bare node:http server, in a process of
// its own like the platform's, that moves the same bytes with nothing else on the path. A PUT's
// body is read and dropped (no hash, no file, no fsync), a GET streams <file> with
// createReadStream's defaults. What it reaches is what Node's HTTP stack moves over loopback on
// this box, the most the platform's routes could reach. Prints {"url"} as one line; stops on SIGTERM.
//   node bench/artifacts-floor-server.mjs <file to serve>
import { createReadStream, statSync } from "node:fs";
import http from "node:http";
import { pipeline } from "node:stream/promises";

const file = process.argv[2];
const server = http.createServer((req, res) => {
  if (req.method === "PUT") {
    let bytes = 0;
    req.on("data", (chunk) => (bytes += chunk.length));
    req.on("end", () => res.writeHead(201, { "content-type": "application/json" }).end(JSON.stringify({ bytes })));
    return;
  }
  res.writeHead(200, { "content-type": "application/octet-stream", "content-length": String(statSync(file).size) });
  pipeline(createReadStream(file), res).catch(() => res.destroy());
});
server.keepAliveTimeout = 60_000;
server.listen(0, "127.0.0.1", () => {
  process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${server.address().port}`, pid: process.pid })}\n`);
});
process.on("SIGTERM", () => server.close(() => process.exit(0)).closeAllConnections());
