"""Optuna side of `pnpm bench:optimizer`. Reads a job (JSON) on stdin, prints results (JSON) on stdout.

Same functions (functions.json), budgets and seeds as the TypeScript side; each run records the
best value after every trial so the 50- and 100-trial budgets come from one run (neither side's
samplers look at the total budget).
"""
import json
import math
import statistics
import sys
import time
import warnings

import optuna

optuna.logging.set_verbosity(optuna.logging.ERROR)
warnings.filterwarnings("ignore")

HERE = __file__.rsplit("/", 1)[0]
SPEC = json.load(open(f"{HERE}/functions.json"))
# Functions outside the suite (held-out.json): run the same way, under their own names.
SPEC["functions"].update(json.load(open(f"{HERE}/held-out.json"))["functions"])


def xs(p, d):
    return [p[f"x{i}"] for i in range(d)]


def branin(p):
    x0, x1 = xs(p, 2)
    a, b, c, r, s, t = 1, 5.1 / (4 * math.pi**2), 5 / math.pi, 6, 10, 1 / (8 * math.pi)
    return a * (x1 - b * x0**2 + c * x0 - r) ** 2 + s * (1 - t) * math.cos(x0) + s


def hartmann(x, k):
    """-sum_i alpha_i exp(-sum_j A_ij (x_j - P_ij)^2)"""
    y = 0.0
    for i in range(len(k["alpha"])):
        e = sum(k["A"][i][j] * (x[j] - k["P"][i][j]) ** 2 for j in range(len(x)))
        y -= k["alpha"][i] * math.exp(-e)
    return y


def hartmann6(p):
    return hartmann(xs(p, 6), SPEC["functions"]["hartmann6"]["constants"])


def rosenbrock4(p):
    x = xs(p, 4)
    return sum(100 * (x[i + 1] - x[i] ** 2) ** 2 + (1 - x[i]) ** 2 for i in range(3))


def ackley5(p):
    x = xs(p, 5)
    m2 = sum(v * v for v in x) / 5
    mc = sum(math.cos(2 * math.pi * v) for v in x) / 5
    return -20 * math.exp(-0.2 * math.sqrt(m2)) - math.exp(mc) + 20 + math.e


def styblinski_tang8(p):
    return sum((v**4 - 16 * v**2 + 5 * v) / 2 for v in xs(p, 8))


def six_hump_camel(p):
    x0, x1 = xs(p, 2)
    return (4 - 2.1 * x0**2 + x0**4 / 3) * x0**2 + x0 * x1 + (-4 + 4 * x1**2) * x1**2


def mixed(p):
    shift = {"a": 0, "b": 0.3, "c": -0.2}[p["kind"]]
    base = {"a": 0.5, "b": 0, "c": 0.25}[p["kind"]]
    return base + (math.log2(p["n"]) - 3) ** 2 / 4 + 10 * (p["u"] - shift) ** 2 + 5 * (p["v"] - shift / 2) ** 2


def conditional(p):
    if p["opt"] == "sgd":
        return 0.2 + (math.log10(p["lr"]) + 2) ** 2 + 20 * (p["momentum"] - 0.9) ** 2
    return (math.log10(p["lr"]) + 3) ** 2 + 400 * (p["beta2"] - 0.995) ** 2


def levy6(p):
    w = [1 + (x - 1) / 4 for x in xs(p, 6)]
    y = math.sin(math.pi * w[0]) ** 2
    for i in range(5):
        y += (w[i] - 1) ** 2 * (1 + 10 * math.sin(math.pi * w[i] + 1) ** 2)
    return y + (w[5] - 1) ** 2 * (1 + math.sin(2 * math.pi * w[5]) ** 2)


def rastrigin4(p):
    return 40 + sum(x * x - 10 * math.cos(2 * math.pi * x) for x in xs(p, 4))


def hartmann3(p):
    return hartmann(xs(p, 3), SPEC["functions"]["hartmann3"]["constants"])


def michalewicz5(p):
    return -sum(math.sin(x) * math.sin((i + 1) * x * x / math.pi) ** 20 for i, x in enumerate(xs(p, 5)))


def zakharov4(p):
    x = xs(p, 4)
    s = sum(0.5 * (i + 1) * v for i, v in enumerate(x))
    return sum(v * v for v in x) + s**2 + s**4


def dixon_price6(p):
    x = xs(p, 6)
    return (x[0] - 1) ** 2 + sum((i + 1) * (2 * x[i] ** 2 - x[i - 1]) ** 2 for i in range(1, 6))


def nn_tuning(p):
    d = 0.3 * (p["dropout"] - 0.2) ** 2 + 0.02 * (math.log2(p["batch"]) - 6) ** 2
    lr = math.log10(p["lr"])
    if p["arch"] == "mlp":
        return 0.15 + 0.5 * (lr + 3) ** 2 + 0.05 * (math.log2(p["width"]) - 8) ** 2 + d
    if p["arch"] == "cnn":
        return 0.05 + 0.5 * (lr + 2.5) ** 2 + 0.01 * (p["kernel"] - 5) ** 2 + d
    return 0.8 * (lr + 3.5) ** 2 + 0.1 * (0 if p["heads"] == 4 else 1) + 0.2 * ((p["warmup"] - 800) / 1000) ** 2 + d


def boosting(p):
    c = 0.5 * (p["subsample"] - 0.8) ** 2
    lr = math.log10(p["lr"])
    if p["booster"] == "gbtree":
        return (lr + 1.3) ** 2 + 0.02 * (p["depth"] - 6) ** 2 + c
    if p["booster"] == "dart":
        return 0.05 + (lr + 1) ** 2 + 0.02 * (p["depth"] - 8) ** 2 + 2 * (p["drop_rate"] - 0.15) ** 2 + c
    return 0.3 + 0.5 * (lr + 2) ** 2 + 0.1 * (math.log10(p["l2"]) + 1) ** 2 + c


def schwefel4(p):
    return 418.9829 * 4 - sum(x * math.sin(math.sqrt(abs(x))) for x in xs(p, 4))


def shekel4(p):
    k = SPEC["functions"]["shekel4"]["constants"]
    x = xs(p, 4)
    return -sum(1 / (sum((x[j] - k["C"][j][i]) ** 2 for j in range(4)) + k["beta"][i]) for i in range(10))


def powell8(p):
    x = xs(p, 8)
    y = 0.0
    for k in range(0, 8, 4):
        a, b, c, d = x[k : k + 4]
        y += (a + 10 * b) ** 2 + 5 * (c - d) ** 2 + (b - 2 * c) ** 4 + 10 * (a - d) ** 4
    return y


def svm_tuning(p):
    c = math.log10(p["C"])
    if p["kernel"] == "linear":
        return 0.12 + 0.05 * c**2
    g = math.log10(p["gamma"])
    if p["kernel"] == "rbf":
        return 0.05 + 0.05 * (c - 1.5) ** 2 + 0.08 * (g + 2) ** 2
    return 0.08 + 0.05 * (c - 0.5) ** 2 + 0.08 * (g + 1) ** 2 + 0.02 * (p["degree"] - 3) ** 2


def colville4(p):
    a, b, c, d = xs(p, 4)
    return (
        100 * (a * a - b) ** 2
        + (a - 1) ** 2
        + (c - 1) ** 2
        + 90 * (c * c - d) ** 2
        + 10.1 * ((b - 1) ** 2 + (d - 1) ** 2)
        + 19.8 * (b - 1) * (d - 1)
    )


def griewank5(p):
    x = xs(p, 5)
    prod = 1.0
    for i, v in enumerate(x):
        prod *= math.cos(v / math.sqrt(i + 1))
    return 1 + sum(v * v for v in x) / 4000 - prod


def trid6(p):
    x = xs(p, 6)
    return sum((v - 1) ** 2 for v in x) - sum(x[i] * x[i - 1] for i in range(1, 6))


def rf_tuning(p):
    n = math.log10(p["n_estimators"])
    d = math.log2(p["max_depth"])
    l = math.log2(p["min_samples_leaf"])
    common = 0.02 * (n - math.log10(400)) ** 2 + 0.3 * (p["max_features"] - 0.4) ** 2 + 0.01 * (d - l / 2 - 4) ** 2 + 0.004 * l * l
    if p["model"] == "rf":
        return 0.06 + common + (0 if p["bootstrap"] else 0.02)
    return 0.04 + common + 0.01 * (d - 4.5) ** 2


def perm6(p):
    x = xs(p, 6)
    return sum(sum((j**i + 0.5) * ((x[j - 1] / j) ** i - 1) for j in range(1, 7)) ** 2 for i in range(1, 7))


def salomon7(p):
    r = math.sqrt(sum(v * v for v in xs(p, 7)))
    return 1 - math.cos(2 * math.pi * r) + 0.1 * r


def alpine8(p):
    return sum(abs(v * math.sin(v) + 0.1 * v) for v in xs(p, 8))


def lgbm_tuning(p):
    u = math.log10(p["learning_rate"]) + {"gbdt": 1.5, "dart": 1.2, "goss": 1.8}[p["boosting"]]
    common = (
        0.15 * u**2
        + 0.01 * (math.log2(p["num_leaves"]) - 6 - 2 * u) ** 2
        + 0.005 * (math.log2(p["min_child_samples"]) - math.log2(20)) ** 2
        + 0.2 * (p["feature_fraction"] - 0.7) ** 2
        + 0.01 * (math.log10(p["lambda_l2"]) + 1) ** 2
    )
    if p["boosting"] == "dart":
        return 0.095 + common + 0.5 * (p["drop_rate"] - 0.1) ** 2
    if p["boosting"] == "goss":
        return 0.105 + common + 0.3 * (p["top_rate"] - 0.2) ** 2
    return 0.1 + common


def goldstein_price2(p):
    a, b = xs(p, 2)
    u = 1 + (a + b + 1) ** 2 * (19 - 14 * a + 3 * a * a - 14 * b + 6 * a * b + 3 * b * b)
    v = 30 + (2 * a - 3 * b) ** 2 * (18 - 32 * a + 12 * a * a + 48 * b - 36 * a * b + 27 * b * b)
    return u * v


def qing6(p):
    return sum((v * v - (i + 1)) ** 2 for i, v in enumerate(xs(p, 6)))


def dropwave2(p):
    r2 = sum(v * v for v in xs(p, 2))
    return -(1 + math.cos(12 * math.sqrt(r2))) / (0.5 * r2 + 2)


def xgb_tuning(p):
    e = math.log10(p["eta"]) + 1.3
    common = 0.12 * e * e + 0.3 * (p["subsample"] - 0.8) ** 2 + 0.01 * math.log10(p["reg_lambda"]) ** 2

    def tree(dc):
        return (
            0.004 * (p["max_depth"] - dc + 3 * e) ** 2
            + 0.01 * (math.log10(p["min_child_weight"]) - 0.3) ** 2
            + 0.15 * (p["colsample_bytree"] - 0.6) ** 2
        )

    if p["booster"] == "gbtree":
        return 0.08 + common + tree(7)
    if p["booster"] == "dart":
        return 0.075 + common + tree(9) + 0.4 * (p["rate_drop"] - 0.15) ** 2
    return 0.14 + 0.12 * (math.log10(p["eta"]) + 0.7) ** 2 + 0.02 * (math.log10(p["reg_lambda"]) + 1) ** 2 + 0.3 * (p["subsample"] - 0.8) ** 2


FUNCS = {
    f.__name__: f
    for f in [branin, hartmann6, rosenbrock4, ackley5, styblinski_tang8, six_hump_camel, mixed, conditional, levy6, rastrigin4, hartmann3, boosting, michalewicz5, zakharov4, dixon_price6, nn_tuning, schwefel4, shekel4, powell8, svm_tuning, colville4, griewank5, trid6, rf_tuning, perm6, salomon7, alpine8, lgbm_tuning, goldstein_price2, qing6, dropwave2, xgb_tuning]
}


def topo(space):
    order, seen = [], set()

    def visit(n):
        if n in seen:
            return
        seen.add(n)
        for parent in space[n].get("when", {}):
            visit(parent)
        order.append(n)

    for n in space:
        visit(n)
    return order


def suggest(trial, space):
    p = {}
    for name in topo(space):
        s = space[name]
        ok = True
        for parent, v in s.get("when", {}).items():
            vals = v if isinstance(v, list) else [v]
            if parent not in p or p[parent] not in vals:
                ok = False
        if not ok:
            continue
        if s["type"] == "float":
            p[name] = trial.suggest_float(name, s["low"], s["high"], log=bool(s.get("log")), step=s.get("step"))
        elif s["type"] == "int":
            p[name] = trial.suggest_int(name, s["low"], s["high"], log=bool(s.get("log")), step=s.get("step", 1))
        else:
            p[name] = trial.suggest_categorical(name, s["choices"])
    return p


def make_sampler(name, seed):
    if name == "tpe":
        return optuna.samplers.TPESampler(seed=seed)
    if name == "gp":
        return optuna.samplers.GPSampler(seed=seed)
    if name == "cmaes":
        return optuna.samplers.CmaEsSampler(seed=seed)
    if name == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    raise ValueError(name)


def run_regret(job):
    out = {}
    for sname in job["samplers"]:
        out[sname] = {}
        for fname in job["functions"]:
            f = SPEC["functions"][fname]
            fn = FUNCS[fname]
            runs = []
            t0 = time.time()
            for seed in job["seeds"]:
                study = optuna.create_study(sampler=make_sampler(sname, seed))
                best, curve = math.inf, []
                for _ in range(job["budget"]):
                    t = study.ask()
                    y = fn(suggest(t, f["space"]))
                    study.tell(t, y)
                    best = min(best, y)
                    curve.append(best - f["minimum"])
                runs.append(curve)
            if job.get("finals_only"):
                # The many-seed check keeps only each run's last regret (1,000 curves of 100
                # points per function would be megabytes of JSON for no use).
                out[sname][fname] = {"finals": [c[-1] for c in runs], "seconds": time.time() - t0}
            else:
                out[sname][fname] = {"curves": runs, "seconds": time.time() - t0}
            print(f"optuna {sname} {fname} {time.time() - t0:.1f}s", file=sys.stderr, flush=True)
    return out


def make_setting_sampler(setting, name, seed):
    # Parallel asks: TPE with its constant liar (pending trials count as bad); the GP as is.
    if setting == "parallel" and name == "tpe":
        return optuna.samplers.TPESampler(constant_liar=True, seed=seed)
    return make_sampler(name, seed)


def run_setting(job):
    """One cell of bench/settings.mjs's settings (parallel, noisy, long), the protocol described there."""
    f = SPEC["functions"][job["function"]]
    fn = FUNCS[job["function"]]
    setting = job["setting"]
    runs = []
    t0 = time.time()
    for k, seed in enumerate(job["seeds"]):
        study = optuna.create_study(sampler=make_setting_sampler(setting, job["sampler"], seed))
        best, curve = math.inf, []
        if setting == "parallel":
            for order in job["orders"][k]:
                # Params are sampled at suggest time: suggest each before the next ask, so
                # every ask sees the earlier ones as RUNNING trials with params.
                asked = []
                for _ in order:
                    t = study.ask()
                    asked.append((t, suggest(t, f["space"])))
                for i in order:
                    t, p = asked[i]
                    y = fn(p)
                    study.tell(t, y)
                    best = min(best, y)
                    curve.append(best - f["minimum"])
            runs.append(curve)
        elif setting == "noisy":
            for i in range(job["budget"]):
                t = study.ask()
                study.tell(t, fn(suggest(t, f["space"])) + job["sd"] * job["noise"][k][i])
            bt = study.best_trial
            runs.append({"regret": fn(bt.params) - f["minimum"], "raw_value": bt.value})
        elif setting == "long":
            cpu, wall = [], []
            n = job["budget"]
            for i in range(n):
                w0, c0 = time.perf_counter(), time.process_time()
                t = study.ask()
                p = suggest(t, f["space"])
                if i >= n - job["timed_asks"]:
                    cpu.append(time.process_time() - c0)
                    wall.append(time.perf_counter() - w0)
                y = fn(p)
                study.tell(t, y)
                best = min(best, y)
                curve.append(best - f["minimum"])
            runs.append({"curve": curve, "askCpu": statistics.median(cpu), "askWall": statistics.median(wall)})
        else:
            raise ValueError(setting)
    print(f"optuna {setting} {job['sampler']} {job['function']} {time.time() - t0:.1f}s", file=sys.stderr, flush=True)
    return {"runs": runs, "seconds": time.time() - t0}


def run_timing(job):
    """Seconds per ask() when the study already holds N finished trials (hartmann6, random history)."""
    import random

    f = SPEC["functions"]["hartmann6"]
    out = {}
    for sname in job["samplers"]:
        out[sname] = {}
        for n in job["sizes"]:
            rng = random.Random(n)
            study = optuna.create_study(sampler=make_sampler(sname, 0))
            dists = {k: optuna.distributions.FloatDistribution(v["low"], v["high"]) for k, v in f["space"].items()}
            trials = []
            for _ in range(n):
                params = {k: rng.uniform(v["low"], v["high"]) for k, v in f["space"].items()}
                trials.append(optuna.trial.create_trial(params=params, distributions=dists, value=hartmann6(params)))
            study.add_trials(trials)
            reps = job["reps"].get(sname, 3)
            # Warm-up asks (lazy imports such as torch, first-call caches; as many as on our
            # side, see WARMUP in run.mjs), then measure.
            for _ in range(job.get("warmup", {}).get(sname, 1)):
                t = study.ask()
                suggest(t, f["space"])
                study.tell(t, state=optuna.trial.TrialState.FAIL)
            w0, c0 = time.perf_counter(), time.process_time()
            for _ in range(reps):
                t = study.ask()
                suggest(t, f["space"])
                # Discard the trial (failed) so the history stays at n finished trials.
                study.tell(t, state=optuna.trial.TrialState.FAIL)
            out[sname][str(n)] = {"wall": (time.perf_counter() - w0) / reps, "cpu": (time.process_time() - c0) / reps}
            print(f"optuna timing {sname} n={n} {out[sname][str(n)]}", file=sys.stderr, flush=True)
    return out


def run_pruners(job):
    """Learning-curve task: TPE + each pruner, every step reported, steps counted."""
    import numpy as np

    task = SPEC["learning_curve_task"]
    steps = task["steps"]
    out = {}
    for pname in job["pruners"]:
        runs = []
        for seed in job["seeds"]:
            pruner = {
                "none": optuna.pruners.NopPruner(),
                "median": optuna.pruners.MedianPruner(),
                "successive_halving": optuna.pruners.SuccessiveHalvingPruner(),
                "hyperband": optuna.pruners.HyperbandPruner(min_resource=1, max_resource=steps),
            }[pname]
            study = optuna.create_study(sampler=optuna.samplers.TPESampler(seed=seed), pruner=pruner)
            noise = np.random.default_rng(seed)
            used, best = 0, math.inf
            for _ in range(job["trials"]):
                t = study.ask()
                p = suggest(t, task["space"])
                final = 0.1 + 0.3 * (math.log10(p["lr"]) + 2) ** 2 + 0.05 * (math.log2(p["width"]) - 7) ** 2
                rate = 0.02 + 0.3 * math.sqrt(p["lr"])
                pruned = False
                v = None
                for s in range(1, steps + 1):
                    v = final + (2.5 - final) * math.exp(-rate * s) + noise.normal(0, 0.01)
                    used += 1
                    t.report(v, s)
                    if t.should_prune():
                        pruned = True
                        break
                if pruned:
                    study.tell(t, state=optuna.trial.TrialState.PRUNED)
                else:
                    study.tell(t, v)
                    best = min(best, v)
            runs.append({"best": best, "steps": used})
        out[pname] = runs
        print(f"optuna pruner {pname} done", file=sys.stderr, flush=True)
    return out


if __name__ == "__main__":
    job = json.load(sys.stdin)
    res = {"version": optuna.__version__}
    if "regret" in job:
        res["regret"] = run_regret(job["regret"])
    if "pruners" in job:
        res["pruners"] = run_pruners(job["pruners"])
    if "setting" in job:
        res["setting"] = run_setting(job["setting"])
    if "timing" in job:
        res["timing"] = run_timing(job["timing"])
    json.dump(res, sys.stdout)
