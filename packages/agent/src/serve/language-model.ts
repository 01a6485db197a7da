import type { Model } from "@autoglm/native";

/** One completion to sample: bytes in, text out (the byte-level glm's tokens are bytes). */
export interface TextRequest {
  prompt: Uint8Array;
  maxTokens: number;
  /** 0 = greedy. */
  temperature: number;
  /** 0 = no top-k cut. */
  topK: number;
  /** In (0, 1]; 1 = no cut. */
  topP: number;
  /** 0 ≤ seed < 2³². */
  seed: number;
  /** Up to 4 non-empty byte strings; the output ends before the first one sampled. */
  stop: Uint8Array[];
}

export interface TextResult {
  text: string;
  finishReason: "stop" | "length";
  /** Bytes the model sampled for this answer: the text's, plus the stop sequence's when one ended it. */
  completionTokens: number;
}

/** A language model behind the OpenAI routes: `complete` streams text deltas through `onText` as it samples. */
export interface LanguageModel {
  complete(req: TextRequest, o: { signal: AbortSignal; onText?: (delta: string) => void }): Promise<TextResult>;
}

/**
 * Each `next()` after the first aims at this much sampling. One call costs a hop through libuv's
 * pool and back to the event loop: ~0.05 ms idle, but ~1 ms measured on 2 busy cores (load 13),
 * where 8-byte steps took 2.7× `generate`'s time and whole-answer steps 1.0×. 20 ms keeps the hop
 * under 5% even then, and a stream still sends ~50 events/s.
 */
const TARGET_STEP_MS = 20;
/** The step's bounds in bytes (see stepCap); the first call is 1 byte (time to first byte). */
const MAX_STEP_BYTES = 4096;
const SHARED_STEP_BYTES = 256;

/**
 * The most bytes the next step may sample. A lone answer without stop sequences: only the time
 * target sizes its steps (a 1,024-byte answer of the bench's glm takes 3 steps instead of 5, each
 * a hop through libuv's pool and an event through every proxy). With stop sequences, 256, so a
 * stop found inside a step wastes at most 255 bytes of sampling; and while other answers sample
 * on the same model, 256, so that the streams sharing the pool and the core take turns in short
 * steps and end together rather than one waiting out another's long last step.
 */
export function stepCap(stops: number, generations: number): number {
  return stops > 0 || generations > 1 ? SHARED_STEP_BYTES : MAX_STEP_BYTES;
}

/** The byte-level glm of @autoglm/native as a LanguageModel. */
export function nativeLanguageModel(model: Model): LanguageModel {
  const context = Number(model.config.context) || Number.POSITIVE_INFINITY;
  const pace = new SamplingPace();
  return { complete: (req, o) => sampleText(model, context, pace, req, o) };
}

/**
 * The model's sampling speed, for sizing steps: the fastest ms per byte any of its sampling
 * steps took. A step's clock time also holds its wait for libuv's pool and for the core: with
 * 8 streams on one core a step's clock ran ~4× its sampling, which sized the next steps at a
 * quarter, and each answer took 6-8 steps (hops, events, writes through every proxy) instead of 2.
 * The fastest step is the closest to the model's own speed, however busy the replica is now.
 */
export class SamplingPace {
  private fastest = Number.POSITIVE_INFINITY;
  /** Answers sampling on this model now. */
  generations = 0;

  /**
   * Ms per byte to size the next step by, after `sampled` bytes in `elapsedMs`; an answer's first
   * step also prefilled `prefilled` positions. A prefill's positions run as one batch, cheaper
   * each than a sampled byte: they size only their own answer's next step, and never the pace.
   */
  after(elapsedMs: number, sampled: number, prefilled: number): number {
    if (prefilled > 0) return Math.min(this.fastest, elapsedMs / Math.max(1, sampled + prefilled));
    this.fastest = Math.min(this.fastest, elapsedMs / Math.max(1, sampled));
    return this.fastest;
  }
}

/**
 * Bytes for the next step at `msPerByte`, with `remaining` bytes still to sample: ~20 ms of
 * sampling, at most `maxStep`, and a tail under half a step joins the step rather than being a
 * step of its own (at the bench's glm, ~0.04 ms a byte, a 256-byte answer is a 1-byte first step
 * and one more).
 */
export function nextStepBytes(msPerByte: number, remaining: number, maxStep = MAX_STEP_BYTES): number {
  const step = Math.max(1, Math.min(maxStep, Math.floor(TARGET_STEP_MS / Math.max(msPerByte, 1e-3))));
  return remaining - step < step / 2 ? Math.max(1, Math.min(remaining, maxStep)) : step;
}

async function sampleText(
  model: Model,
  context: number,
  pace: SamplingPace,
  req: TextRequest,
  o: { signal: AbortSignal; onText?: (delta: string) => void },
): Promise<TextResult> {
  const gen = model.startGeneration(req.prompt, {
    maxTokens: req.maxTokens,
    temperature: req.temperature,
    topK: req.topK,
    topP: req.topP,
    seed: req.seed,
  });
  const out = new StopScanner(req.stop);
  let text = "";
  const emit = (delta: string) => {
    if (delta === "") return;
    text += delta;
    o.onText?.(delta);
  };
  // The first step prefills the prompt (an empty one is one newline), at most a context's worth.
  let prefilled = Math.min(Math.max(1, req.prompt.length), context);
  pace.generations++;
  try {
    for (let step = 1; !out.stopped && !gen.done; prefilled = 0) {
      o.signal.throwIfAborted();
      const started = performance.now();
      const bytes = await gen.next(step, { signal: o.signal });
      if (bytes.length === 0) break;
      emit(out.push(bytes));
      const msPerByte = pace.after(performance.now() - started, bytes.length, prefilled);
      step = nextStepBytes(msPerByte, req.maxTokens - gen.produced, stepCap(req.stop.length, pace.generations));
      // The event loop writes what was just emitted before the next step wakes a pool thread: on a
      // core it shares with that thread, the step could otherwise run first and hold the text back
      // for a scheduler slice (first text after 5-6 ms instead of 1.3-1.7 ms, measured at 1 stream).
      if (!gen.done && !out.stopped) await new Promise<void>((resolve) => setImmediate(resolve));
    }
  } finally {
    pace.generations--;
  }
  emit(out.finish());
  return { text, finishReason: out.stopped ? "stop" : "length", completionTokens: out.sampledBytes };
}

/**
 * Decodes sampled bytes as UTF-8 across chunk boundaries (a multi-byte character split
 * between two steps comes out whole; invalid bytes become U+FFFD) and cuts the output before
 * the first stop sequence, holding back the bytes that could still begin one.
 */
export class StopScanner {
  private bytes = Buffer.alloc(0);
  private emitted = 0;
  private end: number | null = null;
  private stopLength = 0;
  private readonly holdBack: number;
  private readonly decoder = new TextDecoder("utf-8");
  private readonly stops: Buffer[];

  constructor(stops: Uint8Array[]) {
    this.stops = stops.map((s) => Buffer.from(s));
    this.holdBack = Math.max(0, ...this.stops.map((s) => s.length - 1));
  }

  get stopped(): boolean {
    return this.end !== null;
  }

  /** Bytes sampled up to the end of the stop sequence (all of them when none ended it). */
  get sampledBytes(): number {
    return this.end === null ? this.bytes.length : this.end + this.stopLength;
  }

  /** Adds sampled bytes; returns the text that is now certain to be output. */
  push(chunk: Uint8Array): string {
    if (this.end !== null) return "";
    const from = Math.max(0, this.bytes.length - this.holdBack);
    this.bytes = Buffer.concat([this.bytes, chunk]);
    for (const s of this.stops) {
      const at = this.bytes.indexOf(s, from);
      if (at >= 0 && (this.end === null || at < this.end)) {
        this.end = at;
        this.stopLength = s.length;
      }
    }
    const safe = this.end ?? Math.max(this.emitted, this.bytes.length - this.holdBack);
    return this.decode(safe, true);
  }

  /** The rest of the output (held-back bytes, an incomplete character as U+FFFD). */
  finish(): string {
    return this.decode(this.end ?? this.bytes.length, false);
  }

  private decode(upTo: number, stream: boolean): string {
    const text = this.decoder.decode(this.bytes.subarray(this.emitted, upTo), { stream });
    this.emitted = upTo;
    return text;
  }
}
