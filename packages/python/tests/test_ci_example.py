"""examples/ci/run-study.sh, the step the GitHub Actions workflow and the GitLab CI job run,
against the real platform: apply (create, then resume on a re-run), the trials, wait with
--fail-if, best --json and the job summary."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import uuid

import pytest

from live_platform import CLI_JS, NODE, REPO

SCRIPT = os.path.join(REPO, "examples", "ci", "run-study.sh")


@pytest.fixture()
def ci(team, project, tmp_path):
    if not os.path.exists(CLI_JS):
        pytest.fail("%s is missing: build the SDK first (pnpm --filter @autoglm/sdk build)" % CLI_JS)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    # `autoglm` on PATH, as the CI examples install it (pnpm link --global).
    wrapper = bin_dir / "autoglm"
    wrapper.write_text('#!/bin/sh\nexec "%s" "%s" "$@"\n' % (NODE, CLI_JS))
    wrapper.chmod(wrapper.stat().st_mode | stat.S_IEXEC)
    work = tmp_path / "job"
    work.mkdir()
    env = team.env()
    env.update({
        "PATH": "%s:%s" % (bin_dir, os.environ["PATH"]),
        "AUTOGLM_PROJECT": project,
        "PYTHON": sys.executable,
        "STUDY_NAME": "tune-main-%s" % uuid.uuid4().hex[:8],
        "SUMMARY": str(work / "summary.md"),
    })

    def run(**extra):
        e = dict(env)
        e.update(extra)
        return subprocess.run(["bash", SCRIPT], cwd=str(work), env=e, capture_output=True, text=True, timeout=300)

    return run, work, env


def test_the_ci_step_runs_the_study_and_passes(ci, team):
    run, work, env = ci
    r = run(FAIL_IF="best > 1000")
    assert r.returncode == 0, r.stdout + r.stderr
    assert 'created study "%s"' % env["STUDY_NAME"] in r.stderr
    best = json.loads((work / "best.json").read_text())
    assert set(best) == {"trialId", "number", "value", "params"}
    study_id = [line for line in r.stdout.splitlines() if line.startswith("study: ")][0].rsplit("/", 1)[1]
    detail = team.call("GET", "study.get", {"studyId": study_id})
    assert detail["state"] == "completed" and detail["best"]["value"] == best["value"]
    done = detail["counts"]
    assert done["complete"] + done["pruned"] + done["failed"] == 12
    assert "does not hold" in r.stdout  # the wait's verdict on --fail-if
    summary = (work / "summary.md").read_text()
    assert "### Study %s: passed" % study_id in summary
    assert "| lr |" in summary and ("value **%.6g**" % best["value"]) in summary

    # Re-running the job resumes the same (completed) study: same id, nothing new to run.
    again = run(FAIL_IF="best > 1000")
    assert again.returncode == 0, again.stdout + again.stderr
    assert 'resumed study "%s" (%s), completed' % (env["STUDY_NAME"], study_id) in again.stderr
    assert team.call("GET", "study.get", {"studyId": study_id})["counts"] == done


def test_a_regression_fails_the_job(ci):
    run, work, _ = ci
    r = run(FAIL_IF="best > 0")
    assert r.returncode == 1, r.stdout + r.stderr
    assert "failed: best > 0 holds" in r.stdout
    assert ": FAILED" in (work / "summary.md").read_text()
    assert json.loads((work / "best.json").read_text())["value"] > 0


def test_both_ci_files_run_this_step():
    for name in ("github-actions.yml", "gitlab-ci.yml"):
        with open(os.path.join(REPO, "examples", "ci", name), encoding="utf-8") as f:
            assert "bash examples/ci/run-study.sh" in f.read(), name
