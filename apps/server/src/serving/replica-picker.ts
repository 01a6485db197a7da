import type { TReadyReplica } from "@autoglm/db/queries";

/** Reads an endpoint's ready replicas (listReadyReplicasById on the server's database). */
export type ReadyReplicasLoader = (endpointId: string) => Promise<TReadyReplica[]>;

export interface ReplicaPickerOptions {
  /**
   * How long an endpoint's ready replicas are cached (ms). 250 ms: a request costs no query on
   * a busy endpoint, and a drained replica (which still finishes requests for its 30 s grace)
   * stops getting new ones a quarter second after the reconciler retired it; one that a stale
   * list still names answers 503, and the request goes on to a replica of a fresh list.
   */
  cacheMs: number;
  /**
   * Past cacheMs and up to this age (ms), a request is routed by the list it has while the list
   * is read again beside it: an endpoint called every few seconds never waits for the database.
   * A replica gone or draining since is found by its refused connection or its 503, which drops
   * the list and sends the request on to a replica of a fresh one (replica-forward.ts).
   */
  staleMs: number;
  /** How long a replica that refused a connection is skipped (ms): until its lease lapses and it is replaced. */
  downMs: number;
  /**
   * While every replica of an endpoint is skipped, one request per this many ms tries one anyway
   * (a circuit breaker's half-open state). 500 ms: a team's server restarted in place by its agent
   * (under 1 s) answers again within half a second instead of after downMs of 503s, and a replica
   * that is really gone costs one refused connection per half second.
   */
  probeMs: number;
}

export const DEFAULT_PICKER_OPTIONS: ReplicaPickerOptions = { cacheMs: 250, staleMs: 30_000, downMs: 5_000, probeMs: 500 };

interface CachedReplicas {
  /** When `replicas` were read (0: never). */
  at: number;
  replicas: TReadyReplica[];
  loading?: Promise<TReadyReplica[]>;
}

/**
 * Chooses the ready replica with the fewest requests this process has in flight to it (least
 * outstanding, as Envoy's LEAST_REQUEST; ties go round-robin), skipping any that just refused a
 * connection, so a dead agent's replica stops getting traffic at once (R14), not when its lease
 * lapses. Counts are per server process: each replica of the server balances its own traffic.
 */
export class ReplicaPicker {
  private readonly cache = new Map<string, CachedReplicas>();
  private readonly outstanding = new Map<string, number>();
  private readonly downUntil = new Map<string, number>();
  private readonly nextProbe = new Map<string, number>();
  private turn = 0;

  constructor(
    private readonly load: ReadyReplicasLoader,
    private readonly options: ReplicaPickerOptions = DEFAULT_PICKER_OPTIONS,
  ) {}

  /** `exclude`: replicas this request already tried. */
  async pick(endpointId: string, exclude: ReadonlySet<string> = new Set()): Promise<TReadyReplica | null> {
    const now = Date.now();
    const candidates = (await this.readyOf(endpointId, now)).filter((r) => !exclude.has(r.id));
    const up = candidates.filter((r) => (this.downUntil.get(r.id) ?? 0) <= now);
    if (up.length === 0) return this.probe(candidates, now);
    let best: TReadyReplica[] = [];
    let least = Infinity;
    for (const r of up) {
      const n = this.outstanding.get(r.id) ?? 0;
      if (n < least) [least, best] = [n, [r]];
      else if (n === least) best.push(r);
    }
    return best[this.turn++ % best.length]!;
  }

  /** Counts a request in flight to the replica; call the returned function once when it is over. */
  begin(replicaId: string): () => void {
    this.outstanding.set(replicaId, (this.outstanding.get(replicaId) ?? 0) + 1);
    let done = false;
    return () => {
      if (done) return;
      done = true;
      const n = (this.outstanding.get(replicaId) ?? 1) - 1;
      if (n <= 0) this.outstanding.delete(replicaId);
      else this.outstanding.set(replicaId, n);
    };
  }

  /** The replica refused or dropped a connection: skip it for a while, and re-read the endpoint's replicas. */
  markDown(endpointId: string, replicaId: string): void {
    this.downUntil.set(replicaId, Date.now() + this.options.downMs);
    this.cache.delete(endpointId);
  }

  /** The replica answered: it is no longer skipped. */
  markUp(replicaId: string): void {
    if (this.downUntil.delete(replicaId)) this.nextProbe.delete(replicaId);
  }

  /** Every candidate is skipped: the one probed longest ago, if none was probed in the last probeMs. */
  private probe(down: TReadyReplica[], now: number): TReadyReplica | null {
    let pick: TReadyReplica | null = null;
    for (const r of down) {
      const at = this.nextProbe.get(r.id) ?? 0;
      if (at <= now && (pick === null || at < (this.nextProbe.get(pick.id) ?? 0))) pick = r;
    }
    if (pick) this.nextProbe.set(pick.id, now + this.options.probeMs);
    return pick;
  }

  private async readyOf(endpointId: string, now: number): Promise<TReadyReplica[]> {
    const hit = this.cache.get(endpointId);
    if (hit && now - hit.at < this.options.cacheMs) return hit.replicas;
    if (hit && now - hit.at < this.options.staleMs) {
      if (!hit.loading) void this.refresh(endpointId, hit).catch(() => {});
      return hit.replicas;
    }
    return hit?.loading ?? this.refresh(endpointId, hit);
  }

  /** One query per endpoint at a time, however many requests arrive during it. */
  private async refresh(endpointId: string, hit: CachedReplicas | undefined): Promise<TReadyReplica[]> {
    const started = Date.now();
    const loading = this.load(endpointId);
    const entry: CachedReplicas = { at: hit?.at ?? 0, replicas: hit?.replicas ?? [], loading };
    this.cache.set(endpointId, entry);
    try {
      const replicas = await loading;
      // A markDown while the query ran dropped the entry: its list may predate the failure.
      if (this.cache.get(endpointId) === entry) this.cache.set(endpointId, { at: Date.now(), replicas });
      for (const [id, until] of this.downUntil) {
        if (until > started) continue;
        this.downUntil.delete(id);
        this.nextProbe.delete(id);
      }
      return replicas;
    } catch (err) {
      if (this.cache.get(endpointId) === entry) this.cache.delete(endpointId);
      throw err;
    }
  }
}
