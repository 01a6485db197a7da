import { sampleRandom, type TParams } from "../space.js";
import type { SampleContext, Sampler } from "../trial.js";

export class RandomSampler implements Sampler {
  sample(ctx: SampleContext): TParams {
    return sampleRandom(ctx.space, ctx.rng);
  }
}
