#!/usr/bin/env python3
"""Evaluates the trials of a study with the Python SDK (pip install open-autoglm).

    python train.py STUDY_ID        # AUTOGLM_SERVER / AUTOGLM_TOKEN from the environment

Runs until the study's budget is spent. Replace `objective` with the model's training: it
reads the trial's parameters, reports the validation loss each epoch (the study's pruner
may stop it there) and returns the final loss.
"""

import math
import os
import sys

import autoglm


def objective(trial):
    lr, layers, act = trial["lr"], trial["layers"], trial["act"]
    # A stand-in for training: the loss falls towards a floor set by the parameters.
    floor = (math.log10(lr) + 2.0) ** 2 / 4 + abs(layers - 3) / 10 + (0.05 if act == "relu" else 0.0)
    loss = floor
    for epoch in range(10):
        loss = floor + 1.0 / (epoch + 1)
        trial.report(epoch, loss)
    return loss


if __name__ == "__main__":
    study = autoglm.Client().load_study(sys.argv[1])
    study.optimize(objective, n_jobs=int(os.environ.get("WORKERS", "2")))
