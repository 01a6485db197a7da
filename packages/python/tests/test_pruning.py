"""Pruning: trial.report raises TrialPruned when the study's pruner says stop, the objective
stops there, and the platform stores the trial as pruned with the pruner's reason."""

from __future__ import annotations

import pytest

import autoglm
from conftest import server_trials

# A deterministic pruner: stop a trial whose value is above 5 from step 2 on.
THRESHOLD = {"name": "threshold", "upper": 5.0, "n_warmup_steps": 2}


def test_a_pruned_trial_stops_at_the_step_the_pruner_said_so(client, project, team):
    study = client.create_study(
        project=project,
        name="threshold",
        space={"x": autoglm.Categorical([1.0, 9.0])},
        sampler={"name": "grid"},
        pruner=THRESHOLD,
        max_trials=2,
    )
    steps_run = {}

    def objective(trial):
        for step in range(10):
            steps_run[trial.number] = step
            trial.report(step, trial["x"] + 1.0 / (step + 1))
        return trial["x"]

    study.optimize(objective, n_trials=2)
    stored = server_trials(team, study.id)
    by_x = {t["params"]["x"]: t for t in stored.values()}
    good, bad = by_x[1.0], by_x[9.0]
    assert good["state"] == "complete" and good["value"] == 1.0
    assert steps_run[good["number"]] == 9
    assert bad["state"] == "pruned"
    # Pruned at step 2 (the first after the warm-up): steps 3..9 never ran.
    assert steps_run[bad["number"]] == 2
    assert bad["lastStep"] == 2
    assert bad["endReason"] == "threshold: its value at step 2, 9.333, is above the upper bound 5"
    # A pruned trial keeps its last intermediate value (as Optuna does).
    assert bad["value"] == pytest.approx(9.0 + 1.0 / 3)


def test_raise_pruned_false_lets_the_objective_decide(client, project, team):
    study = client.create_study(project=project, name="no-raise", space={"x": autoglm.Categorical([9.0])}, pruner=THRESHOLD, max_trials=1)
    seen = []

    def objective(trial):
        for step in range(5):
            pruned = trial.report(step, trial["x"], raise_pruned=False)
            seen.append((step, pruned, trial.should_prune()))
            if pruned:
                raise autoglm.TrialPruned()
        return trial["x"]

    study.optimize(objective, n_trials=1)
    assert seen == [(0, False, False), (1, False, False), (2, True, True)]
    t = server_trials(team, study.id)[0]
    assert t["state"] == "pruned"
    assert t["endReason"].startswith("threshold: its value at step 2")


def test_report_refuses_a_swapped_step_and_value(client, project):
    study = client.create_study(project=project, name="order", space={"x": autoglm.Float(0, 1)}, max_trials=1)
    trial = study.ask()
    with pytest.raises(TypeError, match=r"note the order: trial.report\(step, value\)"):
        trial.report(0.53, 3)
    with pytest.raises(ValueError, match="finite"):
        trial.report(0, float("inf"))
    trial.tell(0.5)
