// Plain JavaScript (types in chunked.d.mts): the S12 test's team-A worker thread loads it
// without vitest's TypeScript transform.
import { connect } from "node:net";

/**
 * A POST whose body streams as `Transfer-Encoding: chunked` (no Content-Length) over a raw
 * socket, so the test controls pacing and sees exactly when the server answers and closes.
 * Sends `pauseAfter` bytes (default: all), waits up to `waitMs` for an answer, then keeps
 * sending up to `total` bytes unless the server has answered (or, with `ignoreAnswer`, until
 * it closes the connection). With `body`, sends that one buffer as the whole body.
 * @param {string} url
 * @param {string} path
 * @param {{ headers?: Record<string, string>; total: number; pauseAfter?: number; waitMs?: number; body?: Buffer; ignoreAnswer?: boolean }} opts
 */
export async function chunkedPost(url, path, opts) {
  const { hostname, port } = new URL(url);
  const socket = connect(Number(port), hostname);
  await new Promise((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("error", reject);
  });
  let response = "";
  /** @type {number | null} */
  let status = null;
  let answered = () => {};
  const answer = new Promise((r) => (answered = r));
  let closed = false;
  let complete = () => {};
  /** The whole response has arrived (its Content-Length), or the connection closed. */
  const completed = new Promise((r) => (complete = r));
  const closedPromise = new Promise((r) =>
    socket.once("close", () => {
      closed = true;
      answered();
      complete();
      r(undefined);
    }),
  );
  socket.on("error", () => {}); // EPIPE / ECONNRESET once the server closes: expected
  socket.on("data", (c) => {
    response += c.toString("latin1");
    const m = /^HTTP\/1\.1 (\d{3})/.exec(response);
    if (m && status === null) {
      status = Number(m[1]);
      answered();
    }
    const headEnd = response.indexOf("\r\n\r\n");
    const length = /\r\ncontent-length: *(\d+)/i.exec(response.slice(0, headEnd));
    if (headEnd >= 0 && length && response.length - headEnd - 4 >= Number(length[1])) complete();
  });
  const head = [`POST ${path} HTTP/1.1`, `Host: ${hostname}:${port}`, "Transfer-Encoding: chunked", "Connection: close"];
  for (const [k, v] of Object.entries(opts.headers ?? {})) head.push(`${k}: ${v}`);
  socket.write(`${head.join("\r\n")}\r\n\r\n`);

  const waitMs = opts.waitMs ?? 10_000;
  const chunk = Buffer.alloc(64 * 1024, 0x61);
  let sent = 0;
  let sentBeforeAnswer = -1;
  /** @param {Buffer} bytes */
  const write = async (bytes) => {
    if (closed) return;
    const ok = socket.write(Buffer.concat([Buffer.from(`${bytes.length.toString(16)}\r\n`), bytes, Buffer.from("\r\n")]));
    sent += bytes.length;
    if (!ok)
      await Promise.race([new Promise((r) => socket.once("drain", r)), closedPromise, ...(opts.ignoreAnswer ? [] : [answer])]);
  };
  if (opts.body) {
    await write(opts.body);
  } else {
    const pauseAfter = opts.pauseAfter ?? opts.total;
    while (sent < pauseAfter && !closed && status === null)
      await write(chunk.subarray(0, Math.min(chunk.length, pauseAfter - sent)));
    await Promise.race([answer, new Promise((r) => setTimeout(r, waitMs))]);
    if (status !== null) sentBeforeAnswer = sent;
    // Like a real client, stop sending once the server has answered (unless told to ignore it).
    while (sent < opts.total && !closed && (status === null || opts.ignoreAnswer))
      await write(chunk.subarray(0, Math.min(chunk.length, opts.total - sent)));
  }
  if (!closed && status === null) socket.write("0\r\n\r\n");
  // A client that heeds the answer leaves once it has it all; one that ignores it waits for the close.
  await Promise.race([opts.ignoreAnswer ? closedPromise : completed, new Promise((r) => setTimeout(r, waitMs))]);
  if (sentBeforeAnswer < 0) sentBeforeAnswer = sent;
  // The server ended the connection before the whole body was sent.
  const closedEarly = closed && sent < opts.total;
  socket.destroy();
  return { status, response, sentBeforeAnswer, sent, closedEarly };
}
