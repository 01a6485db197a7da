"""Report metrics from a training script to an Open-AutoGLM agent. No dependencies.

Two homes, one file: `pip install ./packages/python` and `from autoglm import report, ...`
(this is the package's `autoglm/agent_report.py`), or copy the single file
`packages/agent/python/autoglm_report.py` next to your script when nothing can be installed.
A test keeps the two byte for byte identical.

    from autoglm_report import report, final, should_prune, params, output_dir, log_artifact

    p = params()                          # the trial's parameters (AUTOGLM_PARAMS)
    for epoch in range(start, 100):
        loss = train_one_epoch(lr=p["lr"])
        report(epoch, loss=loss, acc=acc)  # one line: {"autoglm": 1, "step": 7, "metrics": {...}}
        if should_prune():
            break                         # the study's pruner stopped this trial
    final(loss=loss)                      # optional: the objective's final value
    log_artifact("model.pt")              # keep a file with the trial's outputs
    log_source()                          # the git commit and repo the script ran from

The protocol is just a line of JSON on stdout, so any language can speak it:
    {"autoglm": 1, "step": 7, "metrics": {"loss": 0.42}}
    {"autoglm": 1, "final": {"loss": 0.3}}
    {"autoglm": 1, "source": {"git": "3f2a9c0d…", "repo": "https://github.com/team/model.git"}}

How pruning reaches the script: when the pruner decides, the agent writes the file
`.autoglm_prune` into AUTOGLM_OUTPUT_DIR and sends SIGTERM to the trial's process group;
SIGKILL follows after the agent's grace period (30 s by default). `should_prune()` is True
once that file exists or once SIGTERM has arrived (after `install_sigterm_handler()`, which
turns SIGTERM into a flag instead of an immediate exit so the script can checkpoint and
leave cleanly). The same happens when a user stops the trial or the agent shuts down
(the agent then hands the trial back, and AUTOGLM_RESUME_FROM points the next attempt at
what this one wrote to its output directory).
"""

import json
import math
import os
import re
import shutil
import signal
import subprocess
import sys

__all__ = [
    "report",
    "final",
    "should_prune",
    "params",
    "output_dir",
    "resume_from",
    "install_sigterm_handler",
    "log_artifact",
    "log_source",
]

PRUNE_MARKER = ".autoglm_prune"
_terminated = False


def _clean(metrics):
    out = {}
    for name, value in metrics.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise TypeError("metric %r must be a number, got %r" % (name, value))
        value = float(value)
        if math.isnan(value) or math.isinf(value):
            raise ValueError("metric %r must be finite, got %r" % (name, value))
        out[str(name)] = value
    return out


def _emit(obj):
    sys.stdout.write(json.dumps(obj, separators=(",", ":")) + "\n")
    sys.stdout.flush()


def report(step, **metrics):
    """Report intermediate values at an integer step (epoch, iteration)."""
    if isinstance(step, bool) or int(step) != step or step < 0:
        raise ValueError("step must be a non-negative integer, got %r" % (step,))
    if not metrics:
        raise ValueError("report() needs at least one metric, e.g. report(step, loss=0.4)")
    _emit({"autoglm": 1, "step": int(step), "metrics": _clean(metrics)})


def final(**metrics):
    """Report the final values explicitly (otherwise the last reported value counts)."""
    if not metrics:
        raise ValueError("final() needs at least one metric")
    _emit({"autoglm": 1, "final": _clean(metrics)})


def should_prune():
    """True once the platform asked this trial to stop (pruned, stopped, or agent shutdown)."""
    if _terminated:
        return True
    out = os.environ.get("AUTOGLM_OUTPUT_DIR")
    return bool(out) and os.path.exists(os.path.join(out, PRUNE_MARKER))


def install_sigterm_handler():
    """Make SIGTERM set should_prune() instead of killing the process at once."""

    def _on_term(signum, frame):
        global _terminated
        _terminated = True

    signal.signal(signal.SIGTERM, _on_term)


def params():
    """The trial's parameters as a dict (empty when not run by an agent)."""
    return json.loads(os.environ.get("AUTOGLM_PARAMS", "{}"))


def output_dir():
    """An empty directory for this attempt's outputs and checkpoints."""
    return os.environ.get("AUTOGLM_OUTPUT_DIR", ".")


def resume_from():
    """The previous attempt's output directory when it left a checkpoint, else None."""
    return os.environ.get("AUTOGLM_RESUME_FROM") or None


def log_artifact(path, name=None):
    """Keep a file or directory with this trial's outputs; returns where the copy is.

    Copies it into the attempt's output directory (AUTOGLM_OUTPUT_DIR; the current directory
    when not run by an agent) under `name` (default: its own name). Everything in that
    directory is the trial's output: the next attempt finds it through AUTOGLM_RESUME_FROM,
    and the agent uploads it to the platform's artifact store when the attempt ends. A file
    already in the directory is left as is.
    """
    src = os.path.abspath(os.fspath(path))
    if not os.path.exists(src):
        raise FileNotFoundError("log_artifact: %s does not exist" % (path,))
    base = name if name is not None else os.path.basename(src.rstrip(os.sep))
    if base in ("", ".", "..") or os.sep in base or (os.altsep and os.altsep in base):
        raise ValueError("log_artifact: name must be a plain file name, got %r" % (base,))
    dest_dir = os.path.abspath(output_dir())
    dest = os.path.join(dest_dir, base)
    if os.path.exists(dest) and os.path.samefile(src, dest):
        return dest
    os.makedirs(dest_dir, exist_ok=True)
    if os.path.isdir(src):
        shutil.copytree(src, dest, dirs_exist_ok=True)
    else:
        shutil.copy2(src, dest)
    return dest


_SHA = re.compile(r"^[0-9a-fA-F]{7,64}$")
# A clone URL may carry a token (https://user:token@host/...): it never leaves the machine.
_USERINFO = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*://)[^/@]*@")


def _git(*args):
    try:
        r = subprocess.run(["git"] + list(args), capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    return r.stdout.strip() if r.returncode == 0 else None


def log_source(git=None, repo=None, branch=None, path=None, dirty=None):
    """Record where this trial's code came from; a model registered from the trial shows it.

    With no `git` and no `repo`, both are read from the git checkout the script runs in
    (`git rev-parse HEAD`, `git remote get-url origin`), with its branch and whether it has
    uncommitted changes; outside a checkout nothing is printed and None is returned.
    Credentials in a clone URL are dropped. Returns the reference printed.
    """
    if git is None and repo is None:
        git = _git("rev-parse", "HEAD")
        if git is None:
            return None
        repo = _git("remote", "get-url", "origin")
        if branch is None:
            head = _git("rev-parse", "--abbrev-ref", "HEAD")
            branch = head if head and head != "HEAD" else None
        if dirty is None:
            status = _git("status", "--porcelain", "--untracked-files=no")
            dirty = None if status is None else status != ""
    if git is not None and not _SHA.match(str(git)):
        raise ValueError("log_source: git must be a commit sha of 7 to 64 hex digits, got %r" % (git,))
    if repo is not None and not 0 < len(str(repo)) <= 500:
        raise ValueError("log_source: repo must be 1 to 500 characters")
    if dirty is not None and not isinstance(dirty, bool):
        raise TypeError("log_source: dirty must be True or False, got %r" % (dirty,))
    source = {}
    if git is not None:
        source["git"] = str(git).lower()
    if repo:
        source["repo"] = _USERINFO.sub(r"\1", str(repo))
    for key, value in (("branch", branch), ("path", path)):
        if value is not None:
            source[key] = str(value)
    if dirty is not None:
        source["dirty"] = dirty
    if not source:
        raise ValueError("log_source: name at least one of git, repo, branch, path, dirty")
    _emit({"autoglm": 1, "source": source})
    return source
