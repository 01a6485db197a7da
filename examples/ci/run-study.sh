#!/usr/bin/env bash
# A study per push, as a CI step (GitHub Actions and GitLab CI both run this file):
#   1. `autoglm study apply` creates the study in study.yaml, or resumes it on a re-run;
#   2. train.py evaluates its trials on this runner (Python SDK) until the budget is spent
#      (set RUN_TRIALS=0 when the team's agents run them: a `run:` section in study.yaml);
#   3. `autoglm study wait --fail-if` fails the job when the best value regresses;
#   4. `autoglm study best --json` writes best.json for the next step, and a summary.
#
# Needs AUTOGLM_SERVER, AUTOGLM_TOKEN (a token with the write scope; keep it a CI secret),
# AUTOGLM_PROJECT (the project's slug), the `autoglm` CLI and the Python SDK.
# Optional: STUDY_NAME (default: the name in study.yaml), FAIL_IF (e.g. "best > 0.5"),
# STUDY_TIMEOUT (default 30m), SUMMARY (default $GITHUB_STEP_SUMMARY, else study-summary.md).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
: "${AUTOGLM_SERVER:?set AUTOGLM_SERVER to the platform URL}"
: "${AUTOGLM_TOKEN:?set AUTOGLM_TOKEN (a CI secret)}"
: "${AUTOGLM_PROJECT:?set AUTOGLM_PROJECT to the project slug}"

apply=(study apply -f "$here/study.yaml" --project "$AUTOGLM_PROJECT")
if [ -n "${STUDY_NAME:-}" ]; then apply+=(--name "$STUDY_NAME"); fi
study_id="$(autoglm "${apply[@]}")"
echo "study: ${AUTOGLM_SERVER%/}/studies/$study_id"

if [ "${RUN_TRIALS:-1}" = 1 ]; then
  "${PYTHON:-python3}" "$here/train.py" "$study_id"
fi

wait=(study wait "$study_id" --timeout "${STUDY_TIMEOUT:-30m}")
if [ -n "${FAIL_IF:-}" ]; then wait+=(--fail-if "$FAIL_IF"); fi
status=0
outcome="$(autoglm "${wait[@]}")" || status=$?
echo "$outcome"

autoglm study best "$study_id" --json > best.json
summary="${SUMMARY:-${GITHUB_STEP_SUMMARY:-study-summary.md}}"
"${PYTHON:-python3}" - "$study_id" "$outcome" "$status" >> "$summary" <<'PY'
import json, os, sys
study_id, outcome, status = sys.argv[1], sys.argv[2], sys.argv[3]
best = json.load(open("best.json"))
url = "%s/studies/%s" % (os.environ["AUTOGLM_SERVER"].rstrip("/"), study_id)
print("### Study %s: %s" % (study_id, "passed" if status == "0" else "FAILED"))
print()
print(outcome)
print()
if best:
    print("Best: trial #%d, value **%.6g**" % (best["number"], best["value"]))
    print()
    print("| parameter | value |")
    print("|---|---|")
    for k, v in sorted(best["params"].items()):
        print("| %s | %s |" % (k, v))
else:
    print("No trial completed.")
print()
print("[The study on the dashboard](%s)" % url)
PY
exit "$status"
