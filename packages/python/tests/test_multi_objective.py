"""Multi-objective studies and constraints from Python against the real platform: ask/tell
with ``values=[...]`` and ``metrics={...}``, ``optimize`` with an objective returning one value
per objective, and ``best_trials`` (the Pareto set) leaving infeasible trials out."""

from __future__ import annotations

import pytest

import autoglm
from conftest import server_trials

SPACE = {"x": autoglm.Float(0.0, 1.0)}


def test_ask_tell_with_values_and_constraint_metrics(client, project, team):
    study = client.create_study(
        project=project,
        name="mo-ask-tell",
        space=SPACE,
        directions=["minimize", "minimize"],
        metrics=["loss", "latency_ms"],
        constraints=[{"metric": "memory_gb", "max": 16}],
        sampler="nsga2",
        max_trials=10,
    )
    told = {}
    for values, memory in (([0.5, 10.0], 8), ([0.3, 20.0], 12), ([0.1, 5.0], 30), ([0.6, 30.0], 1)):
        trial = study.ask()
        study.tell(trial, values=values, metrics={"memory_gb": memory})
        told[trial.number] = (values, memory)

    stored = server_trials(team, study.id)
    for n, (values, memory) in told.items():
        assert stored[n]["values"] == values
        assert stored[n]["constraintValues"] == [memory - 16]
        assert stored[n]["feasible"] is (memory <= 16)
    pareto = study.best_trials
    # (0.1, 5) dominates everything but breaks the memory bound; (0.6, 30) is dominated.
    assert [t.values for t in pareto] == [[0.5, 10.0], [0.3, 20.0]]
    assert [t.number for t in pareto] == sorted(n for n, (v, m) in told.items() if m <= 16 and v[0] < 0.6)


def test_a_wrong_tell_is_refused_by_name_and_stores_nothing(client, project, team):
    study = client.create_study(
        project=project, name="mo-refused", space=SPACE, directions=["minimize", "maximize"], metrics=["loss", "acc"], sampler="random"
    )
    trial = study.ask()
    with pytest.raises(autoglm.AutoglmError) as e:
        study.tell(trial.id, 0.4)
    assert "The study has 2 objectives (loss, acc): give values: [loss, acc]." in str(e.value)
    assert server_trials(team, study.id)[trial.number]["state"] == "running"
    with pytest.raises(ValueError):
        trial.tell(0.4, values=[0.4, 0.9])


def test_optimize_tells_every_value_an_objective_returns(client, project, team):
    study = client.create_study(
        project=project, name="mo-optimize", space=SPACE, directions=["minimize", "minimize"], metrics=["a", "b"], sampler="nsga2"
    )

    def objective(trial):
        x = trial.params["x"]
        return [x, (1 - x) ** 2]

    study.optimize(objective, n_trials=6)
    stored = server_trials(team, study.id)
    assert len(stored) == 6
    for t in stored.values():
        x = t["params"]["x"]
        assert t["state"] == "complete"
        assert t["values"] == pytest.approx([x, (1 - x) ** 2])
    # Every point of (x, (1 - x)²) over [0, 1] is Pareto-optimal.
    assert sorted(t.number for t in study.best_trials) == sorted(stored)
