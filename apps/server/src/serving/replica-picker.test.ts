import type { TReadyReplica } from "@autoglm/db/queries";
import { expect, it } from "vitest";
import { DEFAULT_PICKER_OPTIONS, ReplicaPicker } from "./replica-picker.js";

const replica = (id: string): TReadyReplica => ({ id, url: `http://127.0.0.1:1/${id}`, version: 1 });

/** The endpoint's replicas as the database would answer, one read at a time, each settled by the test. */
function replicaTable() {
  const reads: Array<{ settle: (r: TReadyReplica[]) => void }> = [];
  return {
    reads,
    load: () => new Promise<TReadyReplica[]>((settle) => reads.push({ settle })),
  };
}

const options = { ...DEFAULT_PICKER_OPTIONS, cacheMs: 20, staleMs: 5_000 };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** What `p` settled to within `ms`, or "still waiting". */
const within = <T>(p: Promise<T>, ms: number) => Promise.race([p, sleep(ms).then(() => "still waiting" as const)]);

it("routes a request by a stale list while it reads the list again, so a sparse caller never waits for the database", async () => {
  const table = replicaTable();
  const picker = new ReplicaPicker(table.load, options);
  const first = picker.pick("ep");
  table.reads[0]!.settle([replica("a")]);
  expect((await first)?.id).toBe("a");
  await sleep(30); // past cacheMs

  // Answered from the old list at once; one read of the new list runs beside it.
  const picks = await within(Promise.all([picker.pick("ep"), picker.pick("ep")]), 100);
  expect([picks === "still waiting" ? picks : picks.map((r) => r?.id), table.reads.length]).toEqual([["a", "a"], 2]);
  table.reads[1]!.settle([replica("b")]);
  await sleep(0);
  expect((await picker.pick("ep"))?.id).toBe("b");
  expect(table.reads.length).toBe(2);
});

it("waits for the database once the list is older than staleMs", async () => {
  const table = replicaTable();
  const picker = new ReplicaPicker(table.load, { ...options, staleMs: 40 });
  const first = picker.pick("ep");
  table.reads[0]!.settle([replica("a")]);
  await first;
  await sleep(50);
  let picked: TReadyReplica | null | undefined;
  const next = picker.pick("ep").then((r) => (picked = r));
  await sleep(5);
  expect([picked, table.reads.length]).toEqual([undefined, 2]);
  table.reads[1]!.settle([replica("b")]);
  await next;
  expect(picked?.id).toBe("b");
});

it("drops the list when a replica refused a connection: the retry waits for a fresh list, not the read that began before", async () => {
  const table = replicaTable();
  const picker = new ReplicaPicker(table.load, options);
  const first = picker.pick("ep");
  table.reads[0]!.settle([replica("a"), replica("b")]);
  await first;
  await sleep(30);
  const stale = picker.pick("ep"); // past cacheMs: a second read starts
  picker.markDown("ep", "a");
  table.reads[1]!.settle([replica("a"), replica("b")]); // the read that predates the failure

  const retry = picker.pick("ep", new Set(["a"]));
  expect(table.reads.length).toBe(3);
  table.reads[2]!.settle([replica("b"), replica("c")]);
  expect((await retry)?.id).toBe("b");
  expect((await picker.pick("ep", new Set(["a", "b"])))?.id).toBe("c");
  expect(["a", "b"]).toContain((await stale)?.id);
});
