"""Define-by-run: trial.suggest_* inside the objective. Without a space, the first optimize
builds the study's space from the objective's calls; with one, every call is checked against
it and returns the platform's value. And the ask/tell style."""

from __future__ import annotations

import pytest

import autoglm
from conftest import server_trials


def objective_suggesting(calls):
    def objective(trial):
        lr = trial.suggest_float("lr", 1e-5, 1e-1, log=True)
        layers = trial.suggest_int("layers", 1, 8)
        act = trial.suggest_categorical("act", ["relu", "gelu"])
        dropout = trial.suggest_float("dropout", 0.0, 0.5, step=0.05)
        calls.append((trial.number, lr, layers, act, dropout))
        for step in range(3):
            trial.report(step, lr * layers + step)
        return lr * layers + dropout

    return objective


def test_the_first_optimize_builds_the_space_from_the_suggest_calls(client, project, team):
    study = client.create_study(project=project, name="dbr", direction="minimize", max_trials=5)
    assert study.id is None and study.space is None
    calls = []
    study.optimize(objective_suggesting(calls), n_trials=5)
    assert study.id is not None
    spec = team.call("GET", "study.get", {"studyId": study.id})["spec"]
    assert spec["space"] == {
        "lr": {"type": "float", "low": 1e-5, "high": 0.1, "log": True},
        "layers": {"type": "int", "low": 1, "high": 8},
        "act": {"type": "categorical", "choices": ["relu", "gelu"]},
        "dropout": {"type": "float", "low": 0.0, "high": 0.5, "step": 0.05},
    }
    # The discovery run stopped at its first report (number -1); then 5 real trials.
    assert [c[0] for c in calls] == [-1, 0, 1, 2, 3, 4]
    stored = server_trials(team, study.id)
    for number, lr, layers, act, dropout in calls[1:]:
        assert stored[number]["params"] == {"lr": lr, "layers": layers, "act": act, "dropout": dropout}
        assert stored[number]["state"] == "complete"
        assert 1e-5 <= lr <= 0.1 and 1 <= layers <= 8 and act in ("relu", "gelu")
        assert abs(dropout / 0.05 - round(dropout / 0.05)) < 1e-9


def test_suggest_calls_are_checked_against_the_study_space(client, project, team):
    study = client.create_study(
        project=project,
        name="dbr-checked",
        space={"lr": autoglm.Float(1e-5, 1e-1, log=True), "layers": autoglm.Int(1, 8), "act": autoglm.Categorical(["relu", "gelu"]),
               "dropout": autoglm.Float(0, 0.5, step=0.05)},
        max_trials=10,
    )
    calls = []
    study.optimize(objective_suggesting(calls), n_trials=2)
    stored = server_trials(team, study.id)
    assert [c[0] for c in calls] == [0, 1]  # no discovery run: the space was given
    assert all(stored[c[0]]["params"]["lr"] == c[1] for c in calls)

    def wider(trial):
        return trial.suggest_float("lr", 1e-5, 0.5, log=True)

    with pytest.raises(autoglm.SpaceMismatchError, match=r"suggest for 'lr' does not match the study's space: the study has float in \[1e-05, 0.1\] log \(high 0.1, not 0.5\)"):
        study.optimize(wider, n_trials=1)
    failed = server_trials(team, study.id)[2]
    assert failed["state"] == "failed" and failed["endReason"].startswith("SpaceMismatchError: suggest for 'lr'")

    def unknown(trial):
        return trial.suggest_int("batch", 16, 256)

    with pytest.raises(autoglm.SpaceMismatchError, match="parameter 'batch' is not in the study's space"):
        study.optimize(unknown, n_trials=1)


def test_a_changed_space_against_an_existing_study_is_an_error_that_names_it(client, project):
    space = {"x": autoglm.Float(0, 1), "k": autoglm.Int(1, 4)}
    first = client.create_study(project=project, name="resume-me", space=space)
    again = client.create_study(project=project, name="resume-me", space=space, load_if_exists=True)
    assert again.id == first.id
    with pytest.raises(autoglm.DuplicatedStudyError, match="already exists"):
        client.create_study(project=project, name="resume-me", space=space)
    with pytest.raises(autoglm.AutoglmError, match=r"space.x.high: 1 → 2") as e:
        client.create_study(project=project, name="resume-me", space={"x": autoglm.Float(0, 2), "k": autoglm.Int(1, 4)}, load_if_exists=True)
    assert e.value.code == "STUDY_SPACE_CHANGED"
    # Without a space, load_if_exists finds the study by name (no discovery run needed).
    found = client.create_study(project=project, name="resume-me", load_if_exists=True)
    assert found.id == first.id and found.space["k"] == {"type": "int", "low": 1, "high": 4}


def test_ask_and_tell(client, project, team):
    study = client.create_study(project=project, name="ask-tell", space={"x": autoglm.Float(-2, 2)}, max_trials=3)
    trial = study.ask()
    x = trial.suggest_float("x", -2, 2)
    assert trial.report(0, x * x + 1, raise_pruned=False) is False
    trial.tell(x * x)
    trial.tell(x * x)  # a retried tell of the same value is a no-op
    other = study.ask()
    study.tell(other.id, state="failed", reason="CUDA out of memory")
    stored = server_trials(team, study.id)
    assert stored[0]["state"] == "complete" and stored[0]["value"] == x * x
    assert stored[1]["state"] == "failed" and stored[1]["endReason"] == "CUDA out of memory"
    with pytest.raises(autoglm.AutoglmError) as e:
        trial.tell(x * x + 1)
    assert e.value.code == "TRIAL_NOT_RUNNING"
