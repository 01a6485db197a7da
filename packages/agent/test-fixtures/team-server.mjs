// A team's own model server for tests of the `command` flavor, as a study would ship it beside
// its model: `node team-server.mjs --port N` in the model's directory. It answers MLflow's
// /ping and /invocations with a linear model read from ./model.json ({"weights": [...], "bias": b}),
// and a few routes tests look through: /whoami, /echo (streams the body back), /slow, /exit.
// `--never-ready` answers /ping 503 forever.
import { readFileSync } from "node:fs";
import { createServer } from "node:http";

const args = process.argv.slice(2);
const flag = (name) => args.includes(name);
const portArg = args[args.indexOf("--port") + 1];
const port = Number(args.includes("--port") ? portArg : process.env.PORT);
const model = JSON.parse(readFileSync("model.json", "utf8"));

function send(res, status, body, headers = {}) {
  res.writeHead(status, { "content-type": "application/json", "x-team-pid": String(process.pid), ...headers });
  res.end(JSON.stringify(body));
}

const server = createServer((req, res) => {
  const path = req.url.split("?")[0];
  if (path === "/ping") return flag("--never-ready") ? send(res, 503, { ready: false }) : send(res, 200, { ok: true });
  if (path === "/whoami")
    return send(res, 200, {
      uid: process.getuid(),
      cwd: process.cwd(),
      port,
      env: {
        PORT: process.env.PORT,
        AUTOGLM_MODEL_DIR: process.env.AUTOGLM_MODEL_DIR,
        AUTOGLM_MODEL_VERSION: process.env.AUTOGLM_MODEL_VERSION,
      },
      authorization: req.headers.authorization ?? null,
      query: req.url.includes("?") ? req.url.slice(req.url.indexOf("?")) : "",
    });
  if (path === "/echo") {
    res.writeHead(200, { "content-type": req.headers["content-type"] ?? "application/octet-stream" });
    return req.pipe(res);
  }
  // Dies mid-request, without an answer.
  if (path === "/exit") return process.exit(3);
  if (path === "/slow") {
    res.writeHead(200, { "content-type": "text/plain" });
    res.write("first\n");
    return setTimeout(() => res.end("second\n"), 300);
  }
  if (path === "/invocations" && req.method === "POST") {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      let rows;
      try {
        rows = JSON.parse(Buffer.concat(chunks).toString("utf8")).inputs;
      } catch {
        return send(res, 400, { error_code: "BAD_REQUEST", message: "the body is not JSON" });
      }
      if (!Array.isArray(rows) || rows.some((r) => !Array.isArray(r) || r.length !== model.weights.length))
        return send(res, 400, { error_code: "BAD_REQUEST", message: `inputs must be rows of ${model.weights.length} numbers` });
      send(res, 200, { predictions: rows.map((r) => r.reduce((s, x, i) => s + x * model.weights[i], model.bias)) });
    });
    return;
  }
  send(res, 404, { error_code: "RESOURCE_DOES_NOT_EXIST", message: `no route ${req.method} ${path}` });
});
process.on("SIGTERM", () => {
  console.log("team server: SIGTERM, closing");
  server.close(() => process.exit(0));
  server.closeAllConnections();
});
server.listen(port, "127.0.0.1", () => console.log(`team server: listening on ${port}`));
