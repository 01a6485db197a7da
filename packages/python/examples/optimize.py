#!/usr/bin/env python3
"""The README's first Python run: a study in the demo project, tuned by study.optimize.

    pip install ./packages/python
    export AUTOGLM_SERVER=http://127.0.0.1:3000 AUTOGLM_TOKEN=agl_...   # a token with the write scope
    python packages/python/examples/optimize.py

Open the printed URL while it runs: trials, curves and pruned trials arrive live. Running it
again resumes the same study. Replace `train_one_epoch` with a real model's training.
"""

import argparse
import math
import time

import autoglm


def train_one_epoch(params, epoch, step_seconds):
    """A stand-in for training: the loss falls towards a floor set by the parameters."""
    time.sleep(step_seconds)
    floor = (math.log10(params["lr"]) + 2.5) ** 2 / 3 + abs(params["layers"] - 4) / 8
    floor += 0.0 if params["act"] == "gelu" else 0.1
    return floor + 2.0 / (epoch + 1)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--project", default="demo", help="project slug (default: demo, made by npm start)")
    ap.add_argument("--trials", type=int, default=30)
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--step-seconds", type=float, default=0.3, help="seconds per fake epoch")
    args = ap.parse_args()

    client = autoglm.Client()
    study = client.create_study(
        project=args.project,
        name="quickstart-python",
        direction="minimize",
        metric="loss",
        space={
            "lr": autoglm.Float(1e-5, 1e-1, log=True),
            "layers": autoglm.Int(1, 8),
            "act": autoglm.Categorical(["relu", "gelu"]),
        },
        sampler="auto",
        pruner="asha",
        max_trials=200,
        load_if_exists=True,
    )
    print("study on the dashboard: %s" % study.url, flush=True)

    def objective(trial):
        loss = float("inf")
        for epoch in range(args.epochs):
            loss = train_one_epoch(trial.params, epoch, args.step_seconds)
            trial.report(epoch, loss)  # raises autoglm.TrialPruned when the pruner says stop
        return loss

    best = study.optimize(objective, n_trials=args.trials, n_jobs=2)
    print("best: trial #%d value %.4f params %s" % (best.number, best.value, best.params))


if __name__ == "__main__":
    main()
