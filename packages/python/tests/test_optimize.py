"""study.optimize against the real platform: parallel workers, values and params as the
server stores them, the study's budget, failures, timeouts and the result accessors."""

from __future__ import annotations

import math
import random
import threading
import time

import pytest

import autoglm
from conftest import server_trials

SPACE = {
    "lr": autoglm.Float(1e-5, 1e-1, log=True),
    "layers": autoglm.Int(1, 8),
    "act": autoglm.Categorical(["relu", "gelu"]),
}


def bowl(params) -> float:
    return (math.log10(params["lr"]) + 3) ** 2 + (params["layers"] - 4) ** 2 / 10 + (0.5 if params["act"] == "gelu" else 0.0)


def test_parallel_workers_tell_every_value_the_objective_returned(client, project, team):
    study = client.create_study(project=project, name="parallel", space=SPACE, max_trials=12, max_parallel=4, sampler="random")
    returned = {}
    lock = threading.Lock()
    active = [0, 0]  # now, most at once

    def objective(trial):
        with lock:
            active[0] += 1
            active[1] = max(active[1], active[0])
        try:
            loss = bowl(trial.params)
            for step in range(3):
                trial.report(step, loss * (3 - step))
                time.sleep(0.05)
            with lock:
                returned[trial.number] = loss
            return loss
        finally:
            with lock:
                active[0] -= 1

    best = study.optimize(objective, n_trials=12, n_jobs=4)

    assert active[1] >= 2, "n_jobs=4 never ran two objectives at once"
    stored = server_trials(team, study.id)
    assert sorted(stored) == list(range(12))
    assert {n: t["state"] for n, t in stored.items()} == {n: "complete" for n in range(12)}
    assert {n: t["value"] for n, t in stored.items()} == returned
    for t in stored.values():
        p = t["params"]
        assert 1e-5 <= p["lr"] <= 1e-1 and 1 <= p["layers"] <= 8 and p["act"] in ("relu", "gelu")
        assert isinstance(p["layers"], int)
        assert t["lastStep"] == 2
    winner = min(returned, key=returned.get)
    assert best is not None and best.number == winner and best.value == returned[winner]
    assert study.best_trial.number == winner
    assert study.best_params == stored[winner]["params"]
    assert study.best_value == returned[winner]


def test_the_loop_ends_with_the_study_budget(client, project, team):
    study = client.create_study(project=project, name="budget", space=SPACE, max_trials=4)
    calls = []
    study.optimize(lambda t: calls.append(t.number) or bowl(t.params), n_trials=10)
    assert sorted(calls) == [0, 1, 2, 3]
    assert study.state() == "completed"
    # Asking a finished study's loop for more returns at once.
    assert study.optimize(lambda t: 1.0, n_trials=3).number in calls


def test_a_raising_objective_fails_its_trial_and_stops_the_loop_unless_caught(client, project, team):
    study = client.create_study(project=project, name="raising", space=SPACE, max_trials=10)

    def objective(trial):
        if trial.number % 2 == 1:
            raise ValueError("diverged at lr=%g" % trial["lr"])
        return bowl(trial.params)

    with pytest.raises(ValueError, match="diverged"):
        study.optimize(objective, n_trials=5)
    stored = server_trials(team, study.id)
    assert [stored[n]["state"] for n in sorted(stored)] == ["complete", "failed"]
    assert stored[1]["endCode"] == "USER_REPORTED_FAILURE"
    assert stored[1]["endReason"].startswith("ValueError: diverged at lr=")

    study.optimize(objective, n_trials=4, catch=(ValueError,))
    stored = server_trials(team, study.id)
    assert [stored[n]["state"] for n in sorted(stored)] == ["complete", "failed", "complete", "failed", "complete", "failed"]


def test_a_non_finite_return_value_fails_the_trial_and_the_loop_goes_on(client, project, team):
    study = client.create_study(project=project, name="nan", space=SPACE, max_trials=10)
    values = iter([float("nan"), None, 1.5])
    study.optimize(lambda t: next(values), n_trials=3)
    stored = server_trials(team, study.id)
    assert [stored[n]["state"] for n in range(3)] == ["failed", "failed", "complete"]
    assert stored[0]["endReason"] == "the objective's return value must be a finite number (got nan)"
    assert stored[1]["endReason"].startswith("the objective's return value must be a number (got None)")


def test_timeout_stops_asking_for_new_trials(client, project, team):
    study = client.create_study(project=project, name="timeout", space=SPACE, max_trials=100)
    started = time.monotonic()
    study.optimize(lambda t: time.sleep(0.3) or 1.0, n_trials=100, timeout=1.0)
    elapsed = time.monotonic() - started
    done = len(study.trials)
    assert 1 <= done < 10
    assert elapsed < 30


def test_trials_and_dataframe(client, project, team):
    pd = pytest.importorskip("pandas", reason="pandas is not installed: trials_dataframe() needs it")
    study = client.create_study(project=project, name="frame", space=SPACE, max_trials=3)
    study.optimize(lambda t: bowl(t.params), n_trials=3)
    trials = study.trials
    assert [t.number for t in trials] == [0, 1, 2]
    assert all(t.state == "complete" and t.duration is not None for t in trials)
    df = study.trials_dataframe()
    assert isinstance(df, pd.DataFrame)
    assert list(df["number"]) == [0, 1, 2]
    assert {"value", "state", "datetime_start", "duration", "params_lr", "params_layers", "params_act"} <= set(df.columns)
    assert list(df["value"]) == [t.value for t in trials]


def test_enqueue_runs_the_given_params_next(client, project):
    study = client.create_study(project=project, name="enqueue", space=SPACE)
    with pytest.raises(autoglm.AutoglmError, match="layers=9 is outside") as bad:
        study.enqueue({"lr": 0.01, "layers": 9, "act": "relu"})
    assert bad.value.code == "INVALID_PARAMS"
    assert study.enqueue({"lr": 0.01, "layers": 2, "act": "gelu"}) == 0
    trial = study.ask()
    assert (trial.number, trial.params) == (0, {"lr": 0.01, "layers": 2, "act": "gelu"})


def test_a_noisy_study_names_its_best_predicted_trial_beside_the_lowest_value(client, project):
    study = client.create_study(
        project=project, name="noisy", space=SPACE, max_trials=16, sampler={"name": "auto", "seed": 4, "noise": True}
    )
    assert study.best_predicted is None  # nothing told yet
    rng = random.Random(7)
    study.optimize(lambda trial: bowl(trial.params) + rng.gauss(0, 0.3), n_trials=16)

    got = study.best_predicted
    assert got is not None and set(got) == {"number", "params", "value", "predicted", "noise_sd"}
    by_number = {t.number: t for t in study.trials}
    named = by_number[got["number"]]
    assert got["params"] == named.params and got["value"] == named.value
    # Among the five lowest values: the model picks among the trials that also look good on their own.
    assert sorted(t.value for t in by_number.values()).index(named.value) < 5
    assert got["noise_sd"] > 0


def test_portfolio_says_where_a_rugged_auto_study_went_to_cmaes(client, project):
    space = {"x": {"type": "float", "low": -5.12, "high": 5.12}, "y": {"type": "float", "low": -5.12, "high": 5.12}}
    study = client.create_study(
        project=project, name="rugged", space=space, max_trials=200, sampler={"name": "auto", "seed": 2}
    )
    assert study.portfolio["handover"] is None

    def rastrigin(trial):  # a bowl covered in local minima one unit apart
        return sum(v * v - 10 * math.cos(2 * math.pi * v) + 10 for v in (trial.params["x"], trial.params["y"]))

    study.optimize(rastrigin, n_trials=104)
    got = study.portfolio
    assert got["members"] == ["gp", "tpe", "random", "cmaes"]
    assert got["points"][-1]["trials"] == 104
    assert got["handover"]["trial"] == 100 and got["handover"]["reason"] == "rugged"
    assert got["handover"]["noise_share"] > 0.01
