"""Ctrl+C: the running trials are told failed with a reason, and the program exits at once
(it does not wait for objectives still running in other threads)."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
import time

import pytest

import autoglm
from conftest import server_trials
from autoglm.study import INTERRUPTED_REASON

SCRIPT = textwrap.dedent(
    """
    import sys, time
    import autoglm
    study = autoglm.Client().load_study(sys.argv[1])
    def objective(trial):
        trial.report(0, 1.0)
        time.sleep(120)
        return 1.0
    study.optimize(objective, n_trials=10, n_jobs=int(sys.argv[2]))
    """
)


@pytest.mark.parametrize("n_jobs", [1, 3])
def test_ctrl_c_fails_the_running_trials_with_a_reason_and_exits(client, project, team, tmp_path, n_jobs):
    study = client.create_study(project=project, name="ctrl-c-%d" % n_jobs, space={"x": autoglm.Float(0, 1)}, max_parallel=3)
    script = tmp_path / "train.py"
    script.write_text(SCRIPT)
    proc = subprocess.Popen([sys.executable, str(script), study.id, str(n_jobs)], env=team.env(), stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            running = [t for t in server_trials(team, study.id).values() if t["state"] == "running" and t["lastStep"] == 0]
            if len(running) == n_jobs or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert len(running) == n_jobs
        proc.send_signal(signal.SIGINT)
        _, stderr = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode != 0
    assert "KeyboardInterrupt" in stderr
    stored = server_trials(team, study.id)
    assert len(stored) == n_jobs
    for t in stored.values():
        assert t["state"] == "failed"
        assert t["endCode"] == "USER_REPORTED_FAILURE"
        assert t["endReason"] == INTERRUPTED_REASON
