import { randomUUID } from "node:crypto";
import type { DbHandle } from "@autoglm/db/client";
import { upsertEndpointLoadById, type TEndpointLoadSample } from "@autoglm/db/queries";
import type { Logger } from "@autoglm/logging";

export interface EndpointLoadSamplerOptions {
  /**
   * How often this server reports its load (ms). 2 s, as Knative's activator/queue-proxy
   * report: the autoscaler (5 s passes) sees a burst within one pass, and a busy endpoint costs
   * one upsert per server every 2 s.
   */
  reportMs: number;
}

export const DEFAULT_LOAD_SAMPLER_OPTIONS: EndpointLoadSamplerOptions = { reportMs: 2_000 };

/** A time-weighted in-flight counter: the area under "requests in flight" since the period began. */
class InFlight {
  count = 0;
  private area = 0;
  private since: number;

  constructor(now: number) {
    this.since = now;
  }

  change(delta: number, now: number): void {
    this.area += this.count * (now - this.since);
    this.since = now;
    this.count += delta;
  }

  /** The period's area (request-ms), restarting the period at `now`. */
  take(now: number): number {
    this.change(0, now);
    const a = this.area;
    this.area = 0;
    return a;
  }
}

interface EndpointCounters {
  endpoint: InFlight;
  requests: number;
  replicas: Map<string, InFlight>;
}

/**
 * Per-endpoint load as this server's gateway sees it, for the autoscaler (KPA's metric): the
 * time-averaged number of requests in flight over each report period (a request in flight for
 * half the period counts 0.5), requests/s, and the same average per replica. Every period it
 * writes one upsert for all endpoints that had traffic (`endpoint_load`, keyed by this server's
 * id); an idle server writes nothing.
 */
export class EndpointLoadSampler {
  readonly serverId = randomUUID();
  private readonly counters = new Map<string, EndpointCounters>();
  private periodStart = Date.now();
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> | null = null;

  constructor(
    private readonly deps: { db: DbHandle; logger: Logger },
    private readonly options: EndpointLoadSamplerOptions = DEFAULT_LOAD_SAMPLER_OPTIONS,
  ) {}

  start(): this {
    this.timer = setInterval(() => void this.report(), this.options.reportMs).unref();
    return this;
  }

  /** A request for the endpoint arrived (authenticated); call the returned function once when it is answered. */
  begin(endpointId: string): () => void {
    const c = this.of(endpointId);
    return this.track(c.endpoint, () => c.requests++);
  }

  /** The request went to this replica; call the returned function once when the replica is done with it. */
  beginReplica(endpointId: string, replicaId: string): () => void {
    const c = this.of(endpointId);
    let r = c.replicas.get(replicaId);
    if (!r) c.replicas.set(replicaId, (r = new InFlight(this.periodStart)));
    return this.track(r);
  }

  /** Writes the period's samples (the timer calls it; tests may too). */
  async report(): Promise<void> {
    if (this.writing) return this.writing;
    this.writing = this.write().finally(() => (this.writing = null));
    return this.writing;
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.writing;
  }

  private of(endpointId: string): EndpointCounters {
    let c = this.counters.get(endpointId);
    if (!c) this.counters.set(endpointId, (c = { endpoint: new InFlight(this.periodStart), requests: 0, replicas: new Map() }));
    return c;
  }

  private track(counter: InFlight, onBegin?: () => void): () => void {
    counter.change(+1, Date.now());
    onBegin?.();
    let done = false;
    return () => {
      if (done) return;
      done = true;
      counter.change(-1, Date.now());
    };
  }

  private collect(now: number): TEndpointLoadSample[] {
    const periodMs = Math.max(1, now - this.periodStart);
    this.periodStart = now;
    const samples: TEndpointLoadSample[] = [];
    for (const [endpointId, c] of this.counters) {
      const area = c.endpoint.take(now);
      const requests = c.requests;
      c.requests = 0;
      const replicaLoad: Record<string, number> = {};
      for (const [id, r] of c.replicas) {
        replicaLoad[id] = r.take(now) / periodMs;
        if (r.count === 0) c.replicas.delete(id);
      }
      if (area === 0 && requests === 0) {
        if (c.endpoint.count === 0) this.counters.delete(endpointId);
        continue;
      }
      samples.push({ endpointId, concurrency: area / periodMs, rps: (requests * 1000) / periodMs, replicaLoad });
    }
    return samples;
  }

  private async write(): Promise<void> {
    const samples = this.collect(Date.now());
    if (samples.length === 0) return;
    try {
      await upsertEndpointLoadById(this.deps.db, { serverId: this.serverId, samples });
    } catch (err) {
      // The next period writes again; a lost sample only delays a scale decision by one period.
      this.deps.logger.warn("endpoint load report failed", { error: String(err) });
    }
  }
}
