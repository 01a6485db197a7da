"""Report metrics from a training script to an Open-AutoGLM agent. No dependencies.

Copy this file next to your script (or put packages/agent/python on PYTHONPATH):

    from autoglm_report import report, final, should_prune, params, output_dir, resume_from

    p = params()                          # the trial's parameters (AUTOGLM_PARAMS)
    for epoch in range(start, 100):
        loss = train_one_epoch(lr=p["lr"])
        report(epoch, loss=loss, acc=acc)  # one line: {"autoglm": 1, "step": 7, "metrics": {...}}
        if should_prune():
            break                         # the study's pruner stopped this trial
    final(loss=loss)                      # optional: the objective's final value

The protocol is just a line of JSON on stdout, so any language can speak it:
    {"autoglm": 1, "step": 7, "metrics": {"loss": 0.42}}
    {"autoglm": 1, "final": {"loss": 0.3}}

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
import signal
import sys

__all__ = [
    "report",
    "final",
    "should_prune",
    "params",
    "output_dir",
    "resume_from",
    "install_sigterm_handler",
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
