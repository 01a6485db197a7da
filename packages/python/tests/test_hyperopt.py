"""The one-call form: autoglm.hyperopt creates a study and runs it."""

from __future__ import annotations

import autoglm
from conftest import server_trials


def test_hyperopt_creates_and_runs_a_study(client, project, team):
    def train(trial):
        return -((trial["x"] - 0.3) ** 2) + (1.0 if trial["opt"] == "adam" else 0.0)

    best = autoglm.hyperopt(
        train,
        space={"x": autoglm.Float(0, 1), "opt": autoglm.Categorical(["sgd", "adam"])},
        direction="maximize",
        max_trials=6,
        timeout=300,
        project=project,
        client=client,
    )
    studies = [s for s in client.studies(project=project) if s["name"].startswith("train-")]
    assert len(studies) == 1
    stored = server_trials(team, studies[0]["id"])
    assert len(stored) == 6 and all(t["state"] == "complete" for t in stored.values())
    top = max(stored.values(), key=lambda t: t["value"])
    assert best is not None and best.number == top["number"] and best.value == top["value"]


def test_hyperopt_define_by_run_with_the_project_from_the_environment(client, project, team, monkeypatch):
    monkeypatch.setenv("AUTOGLM_SERVER", team.platform.url)
    monkeypatch.setenv("AUTOGLM_TOKEN", team.token)
    monkeypatch.setenv("AUTOGLM_PROJECT", project)

    def quadratic(trial):
        x = trial.suggest_float("x", -3, 3)
        return x * x

    best = autoglm.hyperopt(quadratic, max_trials=4, name="hyperopt-dbr")
    study = client.load_study(project=project, name="hyperopt-dbr")
    assert study.space == {"x": {"type": "float", "low": -3, "high": 3}}
    assert len(study.trials) == 4
    assert best.value == min(t.value for t in study.trials)
