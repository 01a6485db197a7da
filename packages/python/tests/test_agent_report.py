"""The report helper for agent-run commands: the package's autoglm.report & co. and the single
file packages/agent/python/autoglm_report.py are the same code, and the single file works
copied next to a script with nothing installed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import autoglm
from autoglm import agent_report

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
SINGLE_FILE = os.path.join(REPO, "packages", "agent", "python", "autoglm_report.py")


def test_the_single_file_is_the_package_module_byte_for_byte():
    with open(SINGLE_FILE, "rb") as f:
        single = f.read()
    with open(agent_report.__file__, "rb") as f:
        packaged = f.read()
    assert single == packaged, (
        "packages/agent/python/autoglm_report.py and packages/python/src/autoglm/agent_report.py differ: "
        "edit one, then copy it over the other"
    )


SCRIPT = textwrap.dedent(
    """
    import json, os, sys
    try:
        import autoglm
        sys.exit("the package is importable: this run would not prove the single file works alone")
    except ImportError:
        pass
    from autoglm_report import report, final, params, output_dir, log_artifact, should_prune
    p = params()
    report(0, loss=p["x"] * 2)
    report(1, loss=p["x"], acc=0.5)
    with open("model.bin", "wb") as f:
        f.write(b"weights")
    dest = log_artifact("model.bin")
    log_artifact("model.bin", name="best.bin")
    final(loss=p["x"])
    print("dest=" + dest)
    print("prune=%s" % should_prune())
    """
)


def test_the_single_file_works_alone_next_to_a_script(tmp_path):
    work = tmp_path / "work"
    out = tmp_path / "out"
    work.mkdir()
    (work / "autoglm_report.py").write_bytes(open(SINGLE_FILE, "rb").read())
    (work / "train.py").write_text(SCRIPT)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AUTOGLM_", "PYTHON"))}
    env.update({"AUTOGLM_PARAMS": json.dumps({"x": 0.25}), "AUTOGLM_OUTPUT_DIR": str(out)})
    # -S: no site-packages, so the installed package cannot stand in for the single file.
    r = subprocess.run([sys.executable, "-S", "train.py"], cwd=str(work), env=env, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert [json.loads(line) for line in lines[:3]] == [
        {"autoglm": 1, "step": 0, "metrics": {"loss": 0.5}},
        {"autoglm": 1, "step": 1, "metrics": {"loss": 0.25, "acc": 0.5}},
        {"autoglm": 1, "final": {"loss": 0.25}},
    ]
    assert lines[3] == "dest=" + str(out / "model.bin")
    assert (out / "model.bin").read_bytes() == b"weights"
    assert (out / "best.bin").read_bytes() == b"weights"
    assert lines[4] == "prune=False"
    (out / ".autoglm_prune").write_text("")
    r2 = subprocess.run(
        [sys.executable, "-S", "-c", "from autoglm_report import should_prune; print(should_prune())"],
        cwd=str(work), env=env, capture_output=True, text=True, timeout=60,
    )
    assert r2.stdout.strip() == "True"


def test_the_package_exports_the_helper(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("AUTOGLM_OUTPUT_DIR", str(tmp_path / "o"))
    monkeypatch.setenv("AUTOGLM_PARAMS", '{"lr": 0.01}')
    assert autoglm.params() == {"lr": 0.01}
    assert autoglm.output_dir() == str(tmp_path / "o")
    autoglm.report(3, loss=0.5)
    assert json.loads(capsys.readouterr().out) == {"autoglm": 1, "step": 3, "metrics": {"loss": 0.5}}
    src = tmp_path / "ckpt"
    src.mkdir()
    (src / "a.pt").write_bytes(b"a")
    dest = autoglm.log_artifact(str(src))
    assert open(os.path.join(dest, "a.pt"), "rb").read() == b"a"
    assert autoglm.should_prune() is False
    import pytest

    with pytest.raises(ValueError, match="plain file name"):
        autoglm.log_artifact(str(src / "a.pt"), name="../escape.pt")
    with pytest.raises(FileNotFoundError):
        autoglm.log_artifact(str(tmp_path / "nope"))


def _git(cwd, *args):
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "init.defaultBranch=main"] + list(args),
        cwd=str(cwd), check=True, capture_output=True, timeout=60,
    )


def test_log_source_reads_the_checkout_and_drops_credentials(tmp_path, monkeypatch, capsys):
    _git(tmp_path, "init", "-q")
    (tmp_path / "train.py").write_text("print('hi')\n")
    _git(tmp_path, "add", "train.py")
    _git(tmp_path, "commit", "-q", "-m", "first")
    _git(tmp_path, "remote", "add", "origin", "https://ci:ghp_secret@github.com/team/model.git")
    sha = subprocess.run(["git", "rev-parse", "HEAD"], cwd=str(tmp_path), capture_output=True, text=True).stdout.strip()
    monkeypatch.chdir(tmp_path)
    expected = {"git": sha, "repo": "https://github.com/team/model.git", "branch": "main", "dirty": False}
    assert autoglm.log_source() == expected
    assert json.loads(capsys.readouterr().out) == {"autoglm": 1, "source": expected}
    (tmp_path / "train.py").write_text("print('changed')\n")
    assert autoglm.log_source()["dirty"] is True
    capsys.readouterr()

    assert autoglm.log_source(git="ABCDEF1", repo="git@github.com:team/model.git") == {
        "git": "abcdef1",
        "repo": "git@github.com:team/model.git",
    }
    import pytest

    with pytest.raises(ValueError, match="commit sha"):
        autoglm.log_source(git="main")
    with pytest.raises(TypeError, match="dirty"):
        autoglm.log_source(git="abcdef1", dirty="yes")
    capsys.readouterr()
    outside = tmp_path / "outside"
    outside.mkdir()
    monkeypatch.chdir(outside)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    assert autoglm.log_source() is None
    assert capsys.readouterr().out == ""
