import { constrainedRanks } from "../constraints.js";
import { crowdingDistance } from "../math.js";
import type { Rng } from "../rng.js";
import { completeParams, sampleDim, type TParams } from "../space.js";
import type { SampleContext, Sampler, TrialView } from "../trial.js";
import { startupSample } from "./startup.js";

export interface Nsga2Options {
  populationSize: number;
  crossoverProb: number;
  mutationProb: number | null;
}

export const NSGA2_DEFAULTS: Nsga2Options = { populationSize: 50, crossoverProb: 0.9, mutationProb: null };

/**
 * NSGA-II (Deb et al. 2002). Generations are consecutive blocks of populationSize trials in
 * id order; the parents of generation g are the elite populationSize of every complete
 * trial before it (non-dominated rank, then crowding distance). A child is uniform
 * crossover of two binary-tournament winners, then per-parameter resampling with
 * mutationProb (default 1 / number of params). With constraints, ranks use constrained
 * domination (see constrainedRanks), so tournaments and the elite prefer feasible trials.
 * Stateless, so rebuilt studies match.
 */
export class Nsga2Sampler implements Sampler {
  constructor(private readonly o: Nsga2Options) {}

  sample(ctx: SampleContext): TParams {
    const P = this.o.populationSize;
    const gen = Math.floor(ctx.nKnown / P);
    if (gen === 0) return startupSample(ctx, P);
    const before = ctx.trials.slice(0, gen * P).filter((t) => t.state === "complete" && t.loss !== null);
    if (before.length < 2) return startupSample(ctx, P);
    const parents = elite(before, P);
    const rng = ctx.rng;
    const a = tournament(parents, rng);
    const b = tournament(parents, rng);
    const pm = this.o.mutationProb ?? 1 / ctx.space.dims.length;
    const cross = rng.random() < this.o.crossoverProb;
    return completeParams(ctx.space, (d) => {
      if (rng.random() < pm) return sampleDim(d, rng);
      const pick = cross && rng.random() < 0.5 ? b.t : a.t;
      const other = pick === a.t ? b.t : a.t;
      return pick.params[d.name] ?? other.params[d.name] ?? sampleDim(d, rng);
    });
  }
}

interface Ranked {
  t: TrialView;
  rank: number;
  crowd: number;
}

function elite(trials: TrialView[], size: number): Ranked[] {
  const pts = trials.map((t) => t.loss!);
  // Constrained domination: every feasible trial ahead of every infeasible one, those by total violation.
  const rank = constrainedRanks(trials);
  const out: Ranked[] = [];
  const maxRank = Math.max(...rank);
  for (let r = 0; r <= maxRank && out.length < size; r++) {
    const idx = rank.map((x, i) => (x === r ? i : -1)).filter((i) => i >= 0);
    const cd = crowdingDistance(idx.map((i) => pts[i]!));
    const front = idx
      .map((i, k) => ({ t: trials[i]!, rank: r, crowd: cd[k]! }))
      .sort((x, y) => y.crowd - x.crowd || x.t.id - y.t.id);
    out.push(...front.slice(0, size - out.length));
  }
  return out;
}

function tournament(pop: Ranked[], rng: Rng): Ranked {
  const a = pop[rng.int(pop.length)]!;
  const b = pop[rng.int(pop.length)]!;
  if (a.rank !== b.rank) return a.rank < b.rank ? a : b;
  return a.crowd >= b.crowd ? a : b;
}
