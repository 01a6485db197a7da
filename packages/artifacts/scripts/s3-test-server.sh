#!/usr/bin/env bash
# Installs a real S3-compatible server for the artifact store's tests: moto's standalone server
# (PyPI `moto[server]`, pinned), in a virtual environment under
# $AUTOGLM_TOOLS_DIR (default ~/.cache/autoglm-tools)/moto-<version>, shared by clones and kept
# beside older versions. Idempotent; prints the path of `moto_server` on its last line.
# The tests start that binary on 127.0.0.1 with a free port and stop it by PID.
# Exits 1 with the reason when python3 (with venv) or PyPI is not there; the tests then skip
# the S3 backend, printing that reason.
set -euo pipefail

MOTO_VERSION=5.1.22

TOOLS="${AUTOGLM_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/autoglm-tools}"
dir="$TOOLS/moto-$MOTO_VERSION"
if [ -x "$dir/bin/moto_server" ] && [ -f "$dir/.complete" ]; then
  echo "$dir/bin/moto_server"
  exit 0
fi
if ! python3 -c 'import ensurepip, venv' >/dev/null 2>&1; then
  echo "python3 with venv is not installed (apt-get install python3-venv)" >&2
  exit 1
fi
mkdir -p "$TOOLS"
# Test files start in parallel: one installs, the others wait for it.
exec 9>"$TOOLS/.moto-$MOTO_VERSION.lock"
flock 9
if [ -x "$dir/bin/moto_server" ] && [ -f "$dir/.complete" ]; then
  echo "$dir/bin/moto_server"
  exit 0
fi
rm -rf "$dir"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
echo "s3 test server: pip install moto[server]==$MOTO_VERSION into $dir" >&2
if ! { python3 -m venv "$dir" && "$dir/bin/pip" install --quiet --disable-pip-version-check "moto[server]==$MOTO_VERSION"; } >"$log" 2>&1; then
  echo "pip install moto[server]==$MOTO_VERSION failed: $(tail -n 3 "$log" | tr '\n' ' ')" >&2
  rm -rf "$dir"
  exit 1
fi
touch "$dir/.complete"
echo "$dir/bin/moto_server"
