// The simulated agents of bench/scheduler.mjs: one Socket.IO connection each, speaking the real
// protocol (register, lease ack, one batch of 10 metric points, completion). Run in the
// server's own thread, or alone in a worker thread (`--agents-in worker`), where their
// JavaScript no longer queues on the server's event loop, as agents on other machines do not.
import { isMainThread, parentPort, workerData } from "node:worker_threads";
import { io as connect } from "socket.io-client";

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Connects `agents` agents to `url` and runs until `trials` completions; resolves with the lease
 * latencies (agent idle, i.e. completion sent → next lease received) and metric ack times after
 * `warmup` leases, and the first lease / last completion times (performance.now of this thread).
 */
export async function simulateAgents({ url, token, agents, trials, warmup, trialMs }) {
  const latencies = [];
  const metricAcks = [];
  let leased = 0;
  let completed = 0;
  let points = 0;
  let firstLeaseAt = 0;
  let finish;
  const done = new Promise((r) => (finish = r));
  const sockets = [];
  for (let i = 0; i < agents; i++) {
    const s = connect(`${url}/agents`, { transports: ["websocket"], auth: { token }, forceNew: true, reconnection: false });
    sockets.push(s);
    let idleSince = 0;
    s.on("trial:lease", (lease, ack) => {
      ack({ ok: true, accepted: true });
      const now = performance.now();
      if (!firstLeaseAt) firstLeaseAt = now;
      leased++;
      if (leased > warmup && idleSince) latencies.push(now - idleSince);
      idleSince = 0;
      const ref = { trialId: lease.trialId, attempt: lease.attempt, leaseToken: lease.leaseToken };
      const pts = Array.from({ length: 10 }, (_, step) => ({ step, metrics: { loss: 1 / (step + 1) } }));
      let t0 = 0;
      (trialMs > 0 ? sleep(trialMs) : Promise.resolve())
        .then(() => {
          t0 = performance.now();
          return s.timeout(10_000).emitWithAck("trial:metric", { v: 1, ...ref, seq: 0, points: pts });
        })
        .then((mack) => {
          if (leased > warmup) metricAcks.push(performance.now() - t0);
          if (mack.ok) points += pts.length;
          // Idle from here: the server may lease the next trial before this ack comes back.
          idleSince = performance.now();
          return s.timeout(10_000).emitWithAck("trial:complete", {
            v: 1,
            ...ref,
            seq: 1,
            outcome: "complete",
            final: { loss: 0.1 },
            exitCode: 0,
            signal: null,
          });
        })
        .then(() => {
          completed++;
          if (completed === trials) finish();
        })
        .catch((err) => console.error("agent error", err.message));
    });
    await new Promise((resolve, reject) => {
      s.once("connect", resolve);
      s.once("connect_error", reject);
    });
    s.emit(
      "agent:register",
      { v: 1, name: `sim-${i}`, host: "bench", cpuCores: 1, memoryMb: 1024, gpus: [], labels: {}, maxTrials: 1, running: [] },
      () => {
        idleSince = performance.now();
      },
    );
  }
  const timeout = setTimeout(() => finish(), 600_000);
  await done;
  clearTimeout(timeout);
  const seconds = (performance.now() - firstLeaseAt) / 1000;
  for (const s of sockets) s.disconnect();
  return { latencies, metricAcks, completed, points, seconds };
}

if (!isMainThread && workerData?.simulateAgents) {
  parentPort.postMessage(await simulateAgents(workerData.simulateAgents));
}
