#!/usr/bin/env python3
"""`pnpm bench:python`: the per-trial overhead of the SDK's study.optimize against the platform
beside Optuna's study.optimize with an RDB storage, both on the same PostgreSQL server, in
the same run. Makes packages/python/bench/.venv (Optuna pinned, the SDK's wheel), then runs
bench_optimize.py in it.

    DATABASE_URL=postgres://postgres:postgres@127.0.0.1:5432/postgres pnpm bench:python [--trials 200]

Needs the platform built (pnpm build). Standard library only.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import sys
import venv

HERE = os.path.dirname(os.path.abspath(__file__))
PKG = os.path.dirname(HERE)
VENV = os.path.join(HERE, ".venv")
VPY = os.path.join(VENV, "bin", "python")


def run(*cmd: str) -> None:
    print("+ " + " ".join(cmd), flush=True)
    subprocess.run(cmd, check=True)


def main() -> int:
    if not os.path.exists(VPY):
        venv.EnvBuilder(with_pip=True).create(VENV)
    run(VPY, "-m", "pip", "install", "--quiet", "-r", os.path.join(HERE, "requirements.txt"))
    dist = os.path.join(HERE, ".venv", "wheel")
    shutil.rmtree(dist, ignore_errors=True)
    run(VPY, "-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir", dist, PKG)
    run(VPY, "-m", "pip", "install", "--quiet", "--force-reinstall", "--no-deps", *glob.glob(os.path.join(dist, "*.whl")))
    env = dict(os.environ)
    env.setdefault("DATABASE_URL", "postgres://postgres:postgres@127.0.0.1:5432/postgres")
    return subprocess.run([VPY, os.path.join(HERE, "bench_optimize.py"), *sys.argv[1:]], env=env).returncode


if __name__ == "__main__":
    sys.exit(main())
