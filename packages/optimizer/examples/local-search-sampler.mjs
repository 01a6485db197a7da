// An example sampler plugin: a local search around the best trial so far. A deployment lists
// this file in AUTOGLM_SAMPLER_PLUGINS and a study names it in its spec:
//   sampler: { name: "local-search", scale: 0.05 }
// It follows the Sampler contract (packages/optimizer/README.md "Sampler plugins"): every
// answer is a function of the trials and ctx.rng, nothing is kept between asks.

/** @type {import("@autoglm/optimizer").TSamplerPlugin} */
export default {
  name: "local-search",
  // `auto` may try it as a member of its portfolio.
  portfolio: true,
  create(options, tools) {
    const { scale = 0.05, ...rest } = options;
    const unknown = Object.keys(rest);
    if (unknown.length > 0) throw new Error(`unknown option ${unknown[0]} (the only option is scale)`);
    if (typeof scale !== "number" || !(scale > 0 && scale <= 1)) throw new Error("scale must be a number in (0, 1]");
    if (tools.nObjectives !== 1) throw new Error("local-search optimizes a single objective");
    return {
      sample(ctx) {
        let best = null;
        for (const t of ctx.trials) {
          if (t.state === "complete" && t.loss !== null && (best === null || t.loss[0] < best.loss[0])) best = t;
        }
        if (best === null) return tools.sampleRandom(ctx.space, ctx.rng);
        const out = {};
        for (const dim of ctx.space.dims) {
          if (!tools.isActive(dim, out)) continue;
          const here = best.params[dim.name];
          if (here === undefined || (dim.type === "categorical" && ctx.rng.random() < 0.2)) {
            out[dim.name] = tools.fromUnit(dim, ctx.rng.random());
          } else if (dim.type === "categorical") {
            out[dim.name] = here;
          } else {
            out[dim.name] = tools.fromUnit(dim, tools.toUnit(dim, here) + scale * ctx.rng.normal());
          }
        }
        return out;
      },
    };
  },
};
