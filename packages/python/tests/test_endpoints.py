"""``client.deploy`` and ``client.endpoints`` against the real platform: a real agent trains a
builtin MLP on digits, ``deploy`` waits until a replica on that agent is ready, and a POST of a
row to ``<url>/invocations`` with the returned key answers predictions. A revoked key gets 401."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
import uuid

import pytest

import autoglm
from live_platform import NODE, REPO, clean_env

AGENT_JS = os.path.join(REPO, "packages", "agent", "dist", "cli.js")
ROW = [float((i * 7) % 17) for i in range(64)]


def invoke(url: str, key: str):
    req = urllib.request.Request(
        url + "/invocations",
        data=json.dumps({"inputs": [ROW]}).encode(),
        headers={"Authorization": "Bearer " + key, "Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(req, timeout=30) as res:
            return res.status, json.loads(res.read())
    except urllib.error.HTTPError as e:
        return e.code, None


@pytest.fixture(scope="module")
def served(platform):
    """A team whose agent has run one builtin-mlp trial on digits, and stays up to serve it."""
    tag = uuid.uuid4().hex[:8]
    team = platform.create_team("serve-%s@pytest.test" % tag, "Serve %s" % tag, scopes=["read", "write", "agent"])
    shared = tempfile.mkdtemp(prefix="autoglm-py-serve-")
    os.chmod(shared, 0o777)
    project = team.create_project("Serve %s" % tag)
    yaml = (
        "name: py-digits\nobjective: {metric: val_accuracy, direction: maximize}\n"
        "space:\n  lr: {type: float, low: 0.005, high: 0.02, log: true}\nbudget: {max_trials: 1, max_parallel: 1}\n"
        "run:\n  builtin: {trainer: mlp, dataset: digits, epochs: 2}\n"
    )
    study = team.call("POST", "study.create", {"projectId": project["id"], "yaml": yaml})
    agent = subprocess.Popen(
        [NODE, AGENT_JS, "start", "--server", platform.url, "--work-dir", os.path.join(shared, "work"), "--no-gpus"],
        cwd=shared,
        env=clean_env({"AUTOGLM_TOKEN": team.token}),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 180
        while True:
            items = team.call("GET", "trial.list", {"studyId": study["id"]})["items"]
            if items and items[0]["state"] == "complete":
                break
            assert time.monotonic() < deadline, "the trial did not complete: %s" % [t["state"] for t in items]
            time.sleep(0.5)
        c = autoglm.Client(team.platform.url, team.token)
        yield c, study["id"]
        c.close()
    finally:
        agent.terminate()
        agent.wait(timeout=30)
        shutil.rmtree(shared, ignore_errors=True)


def test_deploy_waits_for_a_replica_whose_url_and_key_answer_predictions(served):
    client, study_id = served
    r = client.deploy(study_id, name="py-digits", timeout=150)
    assert (r["model"], r["version"], r["protocols"]) == ("py-digits", 1, ["mlflow", "kserve-v2"])
    assert r["url"].startswith(client.server + "/serve/") and r["url"].endswith("/py-digits")
    assert r["key"].startswith("agl_")
    assert "ready" in [x["state"] for x in r["endpoint"]["replicas"]]
    status, body = invoke(r["url"], r["key"])
    assert status == 200
    assert len(body["predictions"]) == 1 and body["predictions"][0] in range(10)

    assert [e["name"] for e in client.endpoints.list()] == ["py-digits"]
    extra = client.endpoints.create_key("py-digits", "second")
    assert invoke(r["url"], extra["key"])[0] == 200
    client.endpoints.revoke_key("py-digits", extra["id"])
    assert invoke(r["url"], extra["key"]) == (401, None)
    assert invoke(r["url"], r["key"])[0] == 200


def test_update_sets_replicas_and_autoscaling_and_a_bad_value_changes_nothing(served):
    client, study_id = served
    deployed = client.deploy(study_id, name="py-digits", timeout=150, max_replicas=2)
    assert deployed["endpoint"]["maxReplicas"] == 2
    e = client.endpoints.update("py-digits", max_replicas=3, target_concurrency=2, scale_down_delay=30)
    assert (e["minReplicas"], e["maxReplicas"]) == (1, 3)
    assert e["autoscale"] == {"targetConcurrency": 2, "scaleDownDelaySeconds": 30}
    assert e["scaling"]["desiredReplicas"] == 1
    listed = next(x for x in client.endpoints.list() if x["name"] == "py-digits")
    assert (listed["replicaCounts"]["ready"], listed["desiredReplicas"]) == (1, 1)

    with pytest.raises(autoglm.AutoglmError) as bad:
        client.endpoints.update("py-digits", target_concurrency=0)
    assert "autoscale.targetConcurrency: must be greater than 0" in str(bad.value)
    with pytest.raises(autoglm.AutoglmError) as inverted:
        client.endpoints.update("py-digits", min_replicas=3, max_replicas=2)
    assert "minReplicas (3) must be at most maxReplicas (2)" in str(inverted.value)
    with pytest.raises(autoglm.AutoglmError, match="nothing to change"):
        client.endpoints.update("py-digits")
    after = client.endpoints.get("py-digits")
    assert (after["minReplicas"], after["maxReplicas"], after["autoscale"]["targetConcurrency"]) == (1, 3, 2)
