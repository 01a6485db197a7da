"""Per-trial overhead of study.optimize: the platform (SDK → HTTP → server → PostgreSQL) beside
Optuna with an RDB storage on the same PostgreSQL server. Run by bench/run.py in its venv.

A trial is what a training loop costs the tuner when training costs nothing: ask (3
parameters: float log, int, categorical), 10 intermediate reports, tell. One worker
(n_jobs=1), so the figure is latency, not throughput. Each side runs a warm-up, then 3 runs
of N trials; the median and the spread of the 3 are reported. Then, for the platform, where
the time goes: each call's client-side latency, and the floor any authenticated request pays
(a read that touches one row, study.best).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
import urllib.parse
import uuid
from typing import Callable, Dict, List

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "support"))

import optuna  # noqa: E402
import psycopg2  # noqa: E402

import autoglm  # noqa: E402
from live_platform import Platform  # noqa: E402

STEPS = 10


def median_spread(xs: List[float]) -> Dict[str, float]:
    return {"median": statistics.median(xs), "min": min(xs), "max": max(xs)}


# -- the platform -----------------------------------------------------------------------------


def platform_objective(trial: autoglm.Trial) -> float:
    x = trial["x"]
    for step in range(STEPS):
        trial.report(step, x + step)
    return x


def process_cpu_ms(pid: int) -> float:
    """CPU time (user + system) a process has used, from /proc (Linux)."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * 1000.0 / os.sysconf("SC_CLK_TCK")


CPU: Dict[str, Dict[str, float]] = {}


def bench_platform(client: autoglm.Client, project: str, sampler: str, n: int, runs: int, warmup: int, server_pid: int) -> List[float]:
    out = []
    cpu = {"client": 0.0, "server": 0.0}
    for r in range(runs + 1):
        study = client.create_study(
            project=project,
            name="bench-%s-%d-%s" % (sampler, r, uuid.uuid4().hex[:6]),
            space={"x": autoglm.Float(1e-5, 1.0, log=True), "k": autoglm.Int(1, 8), "c": autoglm.Categorical(["a", "b", "c"])},
            sampler={"name": sampler, "seed": 0},
            max_trials=100_000,
            max_parallel=1,
        )
        count = warmup if r == 0 else n
        started = time.perf_counter()
        c0, s0 = time.process_time(), process_cpu_ms(server_pid)
        study.optimize(platform_objective, n_trials=count)
        if r > 0:  # run 0 is the warm-up (connections, JIT, caches)
            out.append((time.perf_counter() - started) / count * 1000)
            cpu["client"] += (time.process_time() - c0) * 1000 / count / runs
            cpu["server"] += (process_cpu_ms(server_pid) - s0) / count / runs
    CPU["platform " + sampler] = cpu
    return out


def call_latencies(client: autoglm.Client, project: str, n: int) -> Dict[str, float]:
    """Median client-side milliseconds per call, on a study of the random sampler."""
    study = client.create_study(
        project=project,
        name="bench-calls-%s" % uuid.uuid4().hex[:6],
        space={"x": autoglm.Float(1e-5, 1.0, log=True), "k": autoglm.Int(1, 8), "c": autoglm.Categorical(["a", "b", "c"])},
        sampler={"name": "random", "seed": 0},
        max_trials=100_000,
        max_parallel=1,
    )
    t: Dict[str, List[float]] = {"ask": [], "report": [], "tell": [], "read (study.best)": []}
    transport = client._transport
    for _ in range(n):
        a = time.perf_counter()
        trial = study.ask()
        b = time.perf_counter()
        t["ask"].append(b - a)
        for step in range(STEPS):
            a = time.perf_counter()
            trial.report(step, float(step))
            t["report"].append(time.perf_counter() - a)
        a = time.perf_counter()
        trial.tell(1.0)
        t["tell"].append(time.perf_counter() - a)
        a = time.perf_counter()
        transport.call("GET", "study.best", {"studyId": study.id})
        t["read (study.best)"].append(time.perf_counter() - a)
    return {k: statistics.median(v) * 1000 for k, v in t.items()}


# -- Optuna -----------------------------------------------------------------------------------


def optuna_objective(trial: optuna.Trial) -> float:
    x = trial.suggest_float("x", 1e-5, 1.0, log=True)
    trial.suggest_int("k", 1, 8)
    trial.suggest_categorical("c", ["a", "b", "c"])
    for step in range(STEPS):
        trial.report(x + step, step)
        if trial.should_prune():
            raise optuna.TrialPruned()
    return x


def bench_optuna(storage: str, sampler_factory: Callable[[], optuna.samplers.BaseSampler], n: int, runs: int, warmup: int) -> List[float]:
    out = []
    cpu = 0.0
    for r in range(runs + 1):
        study = optuna.create_study(storage=storage, sampler=sampler_factory(), study_name="bench-%d-%s" % (r, uuid.uuid4().hex[:6]))
        count = warmup if r == 0 else n
        started = time.perf_counter()
        c0 = time.process_time()
        study.optimize(optuna_objective, n_trials=count)
        if r > 0:
            out.append((time.perf_counter() - started) / count * 1000)
            cpu += (time.process_time() - c0) * 1000 / count / runs
    CPU["optuna " + type(study.sampler).__name__] = {"client": cpu}
    return out


class OptunaDatabase:
    """A database of its own on the PostgreSQL server, dropped afterwards."""

    def __init__(self, base_url: str) -> None:
        self.base = urllib.parse.urlsplit(base_url)
        self.name = "autoglm_bench_optuna_%s" % uuid.uuid4().hex[:10]
        self._admin(lambda c: c.execute("CREATE DATABASE %s" % self.name))
        self.url = urllib.parse.urlunsplit(("postgresql+psycopg2", self.base.netloc, "/" + self.name, "", ""))

    def _admin(self, fn: Callable) -> None:
        conn = psycopg2.connect(urllib.parse.urlunsplit(("postgresql", self.base.netloc, "/postgres", "", "")))
        conn.autocommit = True
        try:
            with conn.cursor() as c:
                fn(c)
        finally:
            conn.close()

    def drop(self) -> None:
        self._admin(lambda c: c.execute("DROP DATABASE IF EXISTS %s WITH (FORCE)" % self.name))


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--trials", type=int, default=200, help="trials per run (default 200)")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--warmup", type=int, default=20)
    args = ap.parse_args()
    base = os.environ["DATABASE_URL"]
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    autoglm.set_verbosity(30)

    results: Dict[str, object] = {"trials_per_run": args.trials, "runs": args.runs, "steps_per_trial": STEPS}
    platform = Platform("bench", database_url=base)
    db = OptunaDatabase(base)
    try:
        team = platform.create_team("bench-%s@bench.test" % uuid.uuid4().hex[:6], "Bench")
        project = team.create_project("bench")["slug"]
        client = autoglm.Client(platform.url, team.token)
        storage = optuna.storages.RDBStorage(db.url)
        pairs = [
            ("random", "random", lambda: optuna.samplers.RandomSampler(seed=0)),
            ("auto (default)", "auto", lambda: optuna.samplers.TPESampler(seed=0)),
        ]
        rows = []
        for label, ours, theirs in pairs:
            print("platform, sampler %s …" % ours, flush=True)
            p = bench_platform(client, project, ours, args.trials, args.runs, args.warmup, platform.proc.pid)
            print("  ms/trial per run: %s" % ", ".join("%.1f" % x for x in p), flush=True)
            print("Optuna RDB, %s …" % ("RandomSampler" if ours == "random" else "TPESampler"), flush=True)
            o = bench_optuna(storage, theirs, args.trials, args.runs, args.warmup)
            print("  ms/trial per run: %s" % ", ".join("%.1f" % x for x in o), flush=True)
            rows.append({"sampler": label, "platform_ms": median_spread(p), "optuna_ms": median_spread(o),
                         "ratio": statistics.median(p) / statistics.median(o)})
        results["per_trial"] = rows
        results["platform_call_ms"] = call_latencies(client, project, min(args.trials, 100))
        results["cpu_ms_per_trial"] = CPU
    finally:
        platform.stop()
        db.drop()

    print()
    print("Per-trial overhead of study.optimize (ask + %d reports + tell, no-op objective, n_jobs=1)," % STEPS)
    print("PostgreSQL on the same server; median of %d runs of %d trials [min–max]:" % (args.runs, args.trials))
    print()
    print("| sampler (platform vs Optuna) | platform ms/trial | Optuna RDB ms/trial | ratio |")
    print("|---|---|---|---|")
    for row in results["per_trial"]:  # type: ignore[union-attr]
        p, o = row["platform_ms"], row["optuna_ms"]
        print("| %s vs %s | %.1f [%.1f–%.1f] | %.1f [%.1f–%.1f] | %.2f× |" % (
            row["sampler"], "RandomSampler" if row["sampler"] == "random" else "TPESampler",
            p["median"], p["min"], p["max"], o["median"], o["min"], o["max"], row["ratio"]))
    print()
    print("Platform, median client-side latency per call (ms): " + ", ".join(
        "%s %.2f" % (k, v) for k, v in results["platform_call_ms"].items()))  # type: ignore[union-attr]
    print("CPU ms per trial (client = the Python process; server = the platform's Node process):")
    for k, v in CPU.items():
        print("  %s: %s" % (k, ", ".join("%s %.1f" % (kk, vv) for kk, vv in v.items())))
    print()
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
