import { isFeasibleComplete } from "../constraints.js";
import type { Rng } from "../rng.js";
import type { TrialView } from "../trial.js";

/**
 * `auto`'s online portfolio: which member proposes the next trial, learned per study.
 *
 * Reward: 1 when a finished trial beats every feasible complete trial before it (by id: what
 * the study knew when it was asked, up to the trials still running then), else 0; pruned and
 * infeasible trials earn 0, failed ones nothing. A rank-based reward (the share of earlier
 * trials beaten) was tried first and lost: it pays members that sample beside the incumbent
 * (TPE's turns, CMA-ES's local steps) as much as the one that moves it. On hartmann6 (seed 0)
 * every improvement after trial 30 came from the GP, yet the rank reward gave TPE 58% of the
 * weight; over 3 seeds of 100 trials the suite's medians went from 6.8e-5 to 1.3e-3
 * (hartmann6), 1.1e-6 to 2.9e-6 (branin), 3.7e-7 to 1.5e-5 (six_hump_camel). With the
 * improvement reward: 2.4e-5 and 3.4e-7 on the first two (bench/NOTES.md has the rest).
 * Improvements are sparse (11-20 per 100-trial run on the suite), hence the prior below.
 *
 * Bandit: Thompson sampling on each member's last REWARD_WINDOW rewards (a Beta posterior by
 * its normal approximation, so it tracks the phase of the study rather than its start; after
 * `auto`'s hand-over to CMA-ES, on every reward of that phase, since improvements there come
 * once in 20-40 asks and a window of 30 would often hold none for any member), each
 * member starting from the study's pooled improvement rate worth PRIOR_STRENGTH asks (members
 * outside the schedule, random, CMA-ES before the hand-over and plugins, from half of it: they
 * get tried when the scheduled ones stop improving, not by default). THOMPSON_DRAWS draws give
 * each member's probability of being the best. The weights mix that with the schedule's
 * shares (chooseAuto: the prior), the bandit's part growing with the evidence: lambda =
 * N / (N + N0), N the rewards in the windows, N0 = EVIDENCE_HALF exploration phases (10 asks
 * per param; lambda is 0 during the first), at most MAX_LAMBDA so the schedule keeps 40%.
 * These are the cautious end: with N0 = 1 phase and at most 0.8, 3 seeds of the suite and
 * held-out functions at 100 trials moved as many medians up as down (rosenbrock4 2.5 to 3.2,
 * rastrigin4 20 to 16); the goal is to lose nothing in short studies and learn in long ones.
 *
 * Choice: a maximal coupling of the schedule's pick with the weights: the scheduled member
 * is kept with probability min(1, w/prior), otherwise another member is drawn in proportion
 * to the weight it has above its prior. The chosen member then has probability w, and with
 * no evidence (w = prior) the choice is exactly today's schedule, so short studies propose
 * what they did before.
 */
export const REWARD_WINDOW = 30;
export const THOMPSON_DRAWS = 256;
export const MAX_LAMBDA = 0.6;
/** The bandit gets half the say once the windows hold this many exploration phases of rewards. */
export const EVIDENCE_HALF = 2;
export const PRIOR_STRENGTH = 4;

export type TWeights = Record<string, number>;
export interface TMemberStats {
  n: number;
  sum: number;
}

/**
 * Each member's rewards, from the trials in id order: its last REWARD_WINDOW finished trials,
 * or, given `since` (the trial count where the current phase began), every finished trial of
 * the phase (an improvement still means beating every trial before it, of any phase).
 */
export function memberStats(
  trials: readonly TrialView[],
  members: readonly string[],
  since: number | null = null,
): Map<string, TMemberStats> {
  const rewards = new Map<string, number[]>(members.map((m) => [m, []]));
  let best = Infinity;
  let seen = false;
  for (const [k, t] of trials.entries()) {
    const own = t.proposedBy && (since === null || k >= since) ? rewards.get(t.proposedBy) : undefined;
    const loss = isFeasibleComplete(t) ? t.loss[0]! : null;
    if (own && seen && (t.state === "complete" || t.state === "pruned")) own.push(loss !== null && loss < best ? 1 : 0);
    if (loss !== null) {
      best = Math.min(best, loss);
      seen = true;
    }
  }
  const out = new Map<string, TMemberStats>();
  for (const [m, r] of rewards) {
    const last = since === null ? r.slice(-REWARD_WINDOW) : r;
    out.set(m, { n: last.length, sum: last.reduce((a, b) => a + b, 0) });
  }
  return out;
}

/** Each member's probability of having the best reward rate, by Thompson draws. */
export function probabilityBest(stats: Map<string, TMemberStats>, prior: TWeights, rng: Rng): TWeights {
  const members = [...stats.keys()];
  let wins = 0;
  let asks = 0;
  for (const s of stats.values()) {
    wins += s.sum;
    asks += s.n;
  }
  // Every member starts from the study's pooled rate, worth PRIOR_STRENGTH asks; members
  // outside the schedule from half of it, so they get tried when the scheduled ones stop
  // improving rather than by default.
  const pooled = (wins + 1) / (asks + 2);
  const moments = members.map((m) => {
    const s = stats.get(m)!;
    const rate = (prior[m] ?? 0) > 0 ? pooled : pooled / 2;
    const a = s.sum + PRIOR_STRENGTH * rate;
    const b = s.n - s.sum + PRIOR_STRENGTH * (1 - rate);
    const mean = a / (a + b);
    return { mean, sd: Math.sqrt((a * b) / ((a + b) ** 2 * (a + b + 1))) };
  });
  const firsts = new Array<number>(members.length).fill(0);
  for (let k = 0; k < THOMPSON_DRAWS; k++) {
    let best = 0;
    let bestDraw = -Infinity;
    moments.forEach((m, i) => {
      const draw = m.mean + m.sd * rng.normal();
      if (draw > bestDraw) {
        bestDraw = draw;
        best = i;
      }
    });
    firsts[best]!++;
  }
  return Object.fromEntries(members.map((m, i) => [m, firsts[i]! / THOMPSON_DRAWS]));
}

/** The portfolio's weights: the schedule's shares, moved toward the Thompson probabilities as evidence comes. */
export function portfolioWeights(
  stats: Map<string, TMemberStats>,
  prior: TWeights,
  explorePhase: number,
  nKnown: number,
  rng: Rng,
): TWeights {
  let evidence = 0;
  for (const s of stats.values()) evidence += s.n;
  const lambda = nKnown < explorePhase ? 0 : Math.min(MAX_LAMBDA, evidence / (evidence + EVIDENCE_HALF * explorePhase));
  const best = lambda > 0 ? probabilityBest(stats, prior, rng) : {};
  const out: TWeights = {};
  for (const m of stats.keys()) out[m] = (1 - lambda) * (prior[m] ?? 0) + lambda * (best[m] ?? 0);
  return out;
}

/** Maximal coupling of the scheduled member with the weights (see the module comment). */
export function coupledChoice(scheduled: string, prior: TWeights, weights: TWeights, rng: Rng): string {
  const p = prior[scheduled] ?? 0;
  const keep = p > 0 ? Math.min(1, (weights[scheduled] ?? 0) / p) : 0;
  if (rng.random() < keep) return scheduled;
  const excess = Object.entries(weights).map(([m, w]) => [m, Math.max(0, w - (prior[m] ?? 0))] as const);
  const total = excess.reduce((a, [, e]) => a + e, 0);
  if (total <= 0) return scheduled;
  let u = rng.random() * total;
  for (const [m, e] of excess) {
    u -= e;
    if (u < 0 && e > 0) return m;
  }
  return scheduled;
}
