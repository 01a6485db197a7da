"""Leases renew while the objective runs: with the lease shrunk to 3 s, an objective that
runs 7 s without a report keeps its trial; a trial nobody renews is failed LEASE_EXPIRED."""

from __future__ import annotations

import time

import autoglm
from conftest import server_trials

LEASE_MINUTES = 0.05  # 3 s


def test_a_slow_silent_objective_keeps_its_trial(client, project, team):
    study = client.create_study(project=project, name="slow", space={"x": autoglm.Float(0, 1)}, lease_minutes=LEASE_MINUTES, max_trials=1)
    best = study.optimize(lambda t: time.sleep(7.0) or 0.25, n_trials=1)
    t = server_trials(team, study.id)[0]
    assert t["state"] == "complete", t
    assert best is not None and best.value == 0.25


def test_without_renewal_the_same_lease_expires(client, project, team):
    # The control: the same study settings, a trial asked over plain HTTP and left alone.
    study = client.create_study(project=project, name="unrenewed", space={"x": autoglm.Float(0, 1)}, lease_minutes=LEASE_MINUTES)
    asked = team.call("POST", "trial.ask", {"studyId": study.id})
    deadline = time.monotonic() + 15
    while server_trials(team, study.id)[asked["number"]]["state"] == "running" and time.monotonic() < deadline:
        time.sleep(0.25)
    t = server_trials(team, study.id)[asked["number"]]
    assert t["state"] == "failed" and t["endCode"] == "LEASE_EXPIRED"


def test_an_expired_trial_is_reported_to_the_objective_and_the_loop_goes_on(client, project, team):
    # The lease keeper learns the platform has taken the trial back (here: a user stopped it)
    # and the objective's next report raises; optimize records it and asks for the next trial.
    study = client.create_study(project=project, name="stopped-trial", space={"x": autoglm.Float(0, 1)}, lease_minutes=LEASE_MINUTES, max_trials=2)

    def objective(trial):
        if trial.number == 0:
            team.call("POST", "trial.stop", {"trialId": trial.id})
            time.sleep(1.5)  # the keeper renews at 1/3 of the lease and hears TRIAL_NOT_RUNNING
            trial.report(0, 1.0)
        return 0.5

    study.optimize(objective, n_trials=2)
    stored = server_trials(team, study.id)
    assert stored[0]["state"] == "failed" and stored[0]["endCode"] == "USER_STOPPED"
    assert stored[1]["state"] == "complete"
