"""``client.models`` against the real platform: a real agent runs a study whose command writes
files to its output dir and uploads them; the SDK registers them, moves an alias, resolves
``models:/`` references and downloads the files verified. A file changed in the store makes the
download raise, naming it, and leaves no file."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
import time
import uuid

import pytest

import autoglm
from live_platform import NODE, REPO, clean_env

AGENT_JS = os.path.join(REPO, "packages", "agent", "dist", "cli.js")

WRITER = """import json, os, shutil
out = os.environ["AUTOGLM_OUTPUT_DIR"]
x = json.loads(os.environ["AUTOGLM_PARAMS"])["x"]
open(os.path.join(out, "model.bin"), "wb").write(os.urandom(300 * 1024))
os.makedirs(os.path.join(out, "meta"))
open(os.path.join(out, "meta", "config.json"), "w").write(json.dumps({"x": x}))
shutil.copytree(out, os.path.join(os.environ["COPIES"], os.environ["AUTOGLM_TRIAL_ID"]))
print(json.dumps({"autoglm": 1, "final": {"loss": (x - 0.3) ** 2}}))
"""


def sha(b: bytes) -> str:
    return hashlib.sha256(b).hexdigest()


@pytest.fixture(scope="module")
def trained(platform):
    """A team whose agent has run one trial that wrote model.bin and meta/config.json."""
    tag = uuid.uuid4().hex[:8]
    team = platform.create_team("models-%s@pytest.test" % tag, "Models %s" % tag, scopes=["read", "write", "agent"])
    # Trials of an agent running as root run as nobody: a directory anyone may enter.
    shared = tempfile.mkdtemp(prefix="autoglm-py-models-")
    os.chmod(shared, 0o777)
    copies = os.path.join(shared, "copies")
    os.mkdir(copies)
    os.chmod(copies, 0o777)
    writer = os.path.join(shared, "write.py")
    with open(writer, "w") as f:
        f.write(WRITER)
    os.chmod(writer, 0o755)
    project = team.create_project("Registry %s" % tag)
    yaml = (
        "name: py-registry\nobjective: {metric: loss, direction: minimize}\n"
        "space:\n  x: {type: float, low: 0, high: 1}\nbudget: {max_trials: 1, max_parallel: 1}\n"
        "run:\n  command: /usr/bin/python3 %s\n  env: {COPIES: %s}\n" % (writer, copies)
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
        deadline = time.monotonic() + 120
        while True:
            items = team.call("GET", "trial.list", {"studyId": study["id"]})["items"]
            if items and items[0]["state"] == "complete":
                break
            assert time.monotonic() < deadline, "the trial did not complete: %s" % [t["state"] for t in items]
            time.sleep(0.5)
        yield team, items[0]["id"], os.path.join(copies, items[0]["id"])
    finally:
        agent.terminate()
        agent.wait(timeout=30)
        shutil.rmtree(shared, ignore_errors=True)


@pytest.fixture()
def models(trained):
    team = trained[0]
    c = autoglm.Client(team.platform.url, team.token)
    yield c.models
    c.close()


def test_register_resolve_alias_and_download_verified(trained, models, tmp_path):
    _, trial_id, written = trained
    v = models.register(trial_id, "py-model", alias="champion")
    assert (v["model"], v["version"], v["uri"], v["aliases"]) == ("py-model", 1, "models:/py-model/1", ["champion"])
    assert [f["name"] for f in v["files"]] == ["meta/config.json", "model.bin"]
    for f in v["files"]:
        with open(os.path.join(written, f["name"]), "rb") as fh:
            body = fh.read()
        assert (f["sizeBytes"], f["sha256"]) == (len(body), sha(body))
    # The digest, recomputed the way the README documents it.
    files = [{"name": f["name"], "size": f["sizeBytes"], "sha256": f["sha256"]} for f in v["files"]]
    canonical = json.dumps(sorted(files, key=lambda f: f["name"]), separators=(",", ":"), ensure_ascii=False).encode()
    assert v["digest"] == hashlib.sha256(canonical).hexdigest() == autoglm.manifest_digest(v["files"])

    assert [m["name"] for m in models.list()] == ["py-model"]
    moved = models.set_alias("py-model", "production", 1)
    assert moved == {"model": "py-model", "alias": "production", "version": 1, "previousVersion": None}
    assert models.resolve("models:/py-model@production")["digest"] == v["digest"]
    assert sorted(a["alias"] for a in models.get("py-model")["aliases"]) == ["champion", "production"]

    got = models.download("models:/py-model@champion", str(tmp_path / "out"))
    assert got["digest"] == v["digest"]
    for f in got["files"]:
        with open(f["path"], "rb") as a, open(os.path.join(written, f["name"]), "rb") as b:
            assert a.read() == b.read(), f["name"]
    assert sorted(os.listdir(tmp_path / "out")) == ["meta", "model.bin"]


def test_bad_references_say_what_is_wrong(models):
    with pytest.raises(autoglm.AutoglmError) as e:
        models.resolve("py model@x")
    assert e.value.code == "BAD_REQUEST"
    assert "models:/<name>@<alias>" in e.value.message
    with pytest.raises(autoglm.AutoglmError) as e:
        models.resolve("models:/no-such-model/1")
    assert (e.value.code, e.value.message) == ("NOT_FOUND", "Model not found.")


def test_a_changed_file_in_the_store_is_refused_by_name_and_nothing_is_kept(trained, models, tmp_path):
    _, trial_id, _ = trained
    models.register(trial_id, "py-tampered")
    stored = [
        os.path.join(d, n)
        for d, _, names in os.walk(os.path.join(trained[0].platform.data_dir, "artifacts"))
        for n in names
        if n == "model.bin" and trial_id in d
    ]
    assert len(stored) == 1
    with open(stored[0], "rb") as f:
        original = f.read()
    try:
        with open(stored[0], "wb") as f:
            f.write(original[:-1] + bytes([original[-1] ^ 0xFF]))
        out = tmp_path / "tampered"
        with pytest.raises(autoglm.AutoglmError) as e:
            models.download("py-tampered/1", str(out))
        assert e.value.code == "DOWNLOAD_INCOMPLETE"
        assert e.value.message.startswith('file "model.bin" of models:/py-tampered/1: the transfer was cut off')
        assert not out.exists()
    finally:
        with open(stored[0], "wb") as f:
            f.write(original)


def test_names_that_would_leave_the_directory_are_refused():
    from autoglm.models import _safe_target

    root = os.path.abspath("out")
    for name in ["../escape.bin", "/etc/passwd", "a/../../b", "a\\..\\b", "a//b", "./x", "C:evil", ""]:
        with pytest.raises(autoglm.AutoglmError) as e:
            _safe_target(root, name)
        assert e.value.code == "UNSAFE_FILE_NAME"
        assert 'refusing file "%s"' % name in e.value.message
    assert _safe_target(root, "meta/config.json") == os.path.join(root, "meta", "config.json")
