"""A lost connection: calls retry with backoff, and a retried tell or report whose first
answer was lost is counted once (the platform answers a repeated tell of the same value, and
a repeated report of the same step, with success). Driven through a proxy that throws
answers away after the server has acted on the request, and that cuts the server off."""

from __future__ import annotations

import logging
import threading
import time
from typing import List

import pytest

import autoglm
from chaos_proxy import ChaosProxy
from conftest import server_trials


@pytest.fixture()
def proxy(platform):
    p = ChaosProxy(platform.port)
    yield p
    p.close()


@pytest.fixture()
def lossy_client(proxy, team):
    c = autoglm.Client(proxy.url, team.token, retry_timeout=30)
    yield c
    c.close()


class Remember(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: List[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


def test_a_tell_whose_answer_was_lost_is_retried_and_counted_once(lossy_client, proxy, project, team):
    study = lossy_client.create_study(project=project, name="lost-tells", space={"x": autoglm.Float(-1, 1)}, max_trials=20)
    returned = {}

    def objective(trial):
        returned[trial.number] = trial["x"] ** 2
        return returned[trial.number]

    seen = {}
    proxy.drop_response("trial.tell", 3)
    study.optimize(objective, n_trials=5, callbacks=[lambda s, t: seen.update({t.number: (t.state, t.value)})])
    assert proxy.dropped == ["trial.tell"] * 3
    # The program saw every trial complete with its value: the retried tells succeeded.
    assert seen == {n: ("complete", v) for n, v in returned.items()}
    stored = server_trials(team, study.id)
    assert sorted(stored) == [0, 1, 2, 3, 4]
    assert {n: (t["state"], t["value"]) for n, t in stored.items()} == {n: ("complete", v) for n, v in returned.items()}
    summary = team.call("GET", "study.get", {"studyId": study.id})
    assert summary["counts"]["complete"] == 5 and summary["counts"]["failed"] == 0


def test_a_report_whose_answer_was_lost_is_stored_once(lossy_client, proxy, project, team):
    study = lossy_client.create_study(project=project, name="lost-reports", space={"x": autoglm.Float(-1, 1)}, max_trials=20)

    def objective(trial):
        for step in range(4):
            trial.report(step, step + trial["x"])
        return trial["x"]

    proxy.drop_response("trial.report", 3)
    study.optimize(objective, n_trials=2)
    assert proxy.dropped == ["trial.report"] * 3
    for t in server_trials(team, study.id).values():
        detail = team.call("GET", "trial.get", {"trialId": t["id"]})
        assert [p["step"] for p in detail["intermediate"]] == [0, 1, 2, 3]
        assert t["state"] == "complete"


def test_an_outage_is_ridden_out_with_backoff(lossy_client, proxy, project, team):
    study = lossy_client.create_study(project=project, name="outage", space={"x": autoglm.Float(-1, 1)}, max_trials=20, max_parallel=2)

    def objective(trial):
        for step in range(6):
            trial.report(step, trial["x"] + step)
            time.sleep(0.1)
        return trial["x"]

    cut = threading.Timer(0.5, proxy.outage, args=(3.0,))
    cut.start()
    started = time.monotonic()
    study.optimize(objective, n_trials=6, n_jobs=2)
    cut.join()
    assert time.monotonic() - started > 3.0  # the outage really stood in the way
    stored = server_trials(team, study.id)
    assert [stored[n]["state"] for n in sorted(stored)] == ["complete"] * 6


def test_a_lost_ask_answer_is_retried_and_the_unused_trial_expires(lossy_client, proxy, project, team):
    study = lossy_client.create_study(
        project=project, name="lost-ask", space={"x": autoglm.Float(-1, 1)}, max_trials=20, lease_minutes=0.05
    )
    remember = Remember()
    logging.getLogger("autoglm").addHandler(remember)
    try:
        proxy.drop_response("trial.ask", 1)
        study.optimize(lambda t: t["x"], n_trials=3)
    finally:
        logging.getLogger("autoglm").removeHandler(remember)
    assert any("the answer to an ask was lost" in line for line in remember.lines)
    deadline = time.monotonic() + 15
    while True:
        states = sorted(t["state"] for t in server_trials(team, study.id).values())
        if "running" not in states or time.monotonic() > deadline:
            break
        time.sleep(0.25)
    # Three trials evaluated; the one whose ask answer was lost expired with its lease.
    assert states == ["complete", "complete", "complete", "failed"]
    orphan = [t for t in server_trials(team, study.id).values() if t["state"] == "failed"][0]
    assert orphan["endCode"] == "LEASE_EXPIRED"
