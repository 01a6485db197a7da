"""The package must run on Python 3.9: vermin reads every module and names the newest
feature it uses (a 3.10 `match`, `X | Y` at run time, `zip(strict=)`, …)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

import autoglm

SRC = os.path.dirname(autoglm.__file__)


def test_the_package_needs_nothing_newer_than_python_3_9():
    pytest.importorskip("vermin", reason="vermin is not installed (it is in requirements-test.txt)")
    vermin = os.path.join(os.path.dirname(sys.executable), "vermin")
    r = subprocess.run(
        [vermin, "--target=3.9-", "--violations", "--no-tips", SRC],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 0, r.stdout + r.stderr


def test_the_package_has_no_runtime_dependencies():
    from importlib.metadata import requires

    # Only the optional extra (pip install 'open-autoglm[pandas]' for trials_dataframe).
    assert [r for r in requires("open-autoglm") or [] if "extra ==" not in r] == []
