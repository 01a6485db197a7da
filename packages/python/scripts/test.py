#!/usr/bin/env python3
"""Builds the SDK's wheel, installs it with the pinned test dependencies into
packages/python/.venv, and runs pytest there against a platform the suite starts itself.

    python3 packages/python/scripts/test.py [pytest args…]

`npm test` runs this (scripts/test-all.mjs); it needs the platform built (apps/server,
packages/sdk). The tests import the installed wheel, not src/, so what is tested is what
`pip install` gives a user. Standard library only.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import sys
import venv

PKG = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
VENV = os.path.join(PKG, ".venv")
DIST = os.path.join(PKG, "dist")
VPY = os.path.join(VENV, "bin", "python")


def run(*cmd: str, **kw) -> None:
    print("+ " + " ".join(cmd), flush=True)
    subprocess.run(cmd, check=True, **kw)


def venv_python_matches() -> bool:
    """The venv was made by this interpreter's version (a newer system Python invalidates it)."""
    if not os.path.exists(VPY):
        return False
    out = subprocess.run([VPY, "-c", "import sys; print(sys.version_info[:2])"], capture_output=True, text=True)
    return out.returncode == 0 and out.stdout.strip() == str(sys.version_info[:2])


def main() -> int:
    if not venv_python_matches():
        shutil.rmtree(VENV, ignore_errors=True)
        print("+ creating %s" % VENV, flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    shutil.rmtree(DIST, ignore_errors=True)
    # The wheel, built as PyPI would get it (isolated build with flit_core from PyPI).
    run(VPY, "-m", "pip", "wheel", "--no-deps", "--wheel-dir", DIST, PKG)
    wheels = glob.glob(os.path.join(DIST, "open_autoglm-*.whl"))
    if len(wheels) != 1:
        print("expected one wheel in %s, found %s" % (DIST, wheels), file=sys.stderr)
        return 1
    run(VPY, "-m", "pip", "install", "--quiet", "-r", os.path.join(PKG, "requirements-test.txt"))
    run(VPY, "-m", "pip", "install", "--quiet", "--force-reinstall", "--no-deps", wheels[0])
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    # -p no:cacheprovider: no .pytest_cache in the tree.
    cmd = [VPY, "-m", "pytest", "-p", "no:cacheprovider", *sys.argv[1:]]
    print("+ " + " ".join(cmd), flush=True)
    return subprocess.run(cmd, cwd=PKG, env=env).returncode


if __name__ == "__main__":
    sys.exit(main())
