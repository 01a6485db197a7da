"""The README's Python example, run as a newcomer runs it (a child process, token in the env)."""

from __future__ import annotations

import os
import subprocess
import sys

from conftest import server_trials

EXAMPLE = os.path.join(os.path.dirname(__file__), "..", "examples", "optimize.py")


def test_the_optimize_example(team, project):
    args = [sys.executable, EXAMPLE, "--project", project, "--trials", "6", "--epochs", "4", "--step-seconds", "0"]
    r = subprocess.run(args, env=team.env(), capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    first = r.stdout.splitlines()[0]
    assert first.startswith("study on the dashboard: %s/studies/" % team.platform.url)
    study_id = first.rsplit("/", 1)[1]
    stored = server_trials(team, study_id)
    assert len(stored) == 6
    assert all(t["state"] in ("complete", "pruned") for t in stored.values())
    assert "Trial 0 " in r.stderr  # the progress lines
    assert r.stdout.splitlines()[-1].startswith("best: trial #")
    # Run again: the same study, resumed.
    again = subprocess.run(args, env=team.env(), capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    assert again.stdout.splitlines()[0] == first
    assert len(server_trials(team, study_id)) == 12
