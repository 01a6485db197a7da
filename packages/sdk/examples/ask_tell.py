#!/usr/bin/env python3
"""The ask/tell loop against Open-AutoGLM over plain HTTP: Python 3.8+, standard library only.

    export AUTOGLM_SERVER=http://127.0.0.1:3000 AUTOGLM_TOKEN=agl_...
    python3 ask_tell.py STUDY_ID --trials 20

Without the two variables it reads the file `autoglm login` writes ($AUTOGLM_CONFIG or
~/.config/autoglm/config.json). Each trial is asked for, evaluated by `objective` below
(replace it with your training code), reported at every step (the answer says whether the
pruner wants the trial stopped) and told its final value. A trial whose program dies is
not lost: its lease runs out and the platform marks it failed with LEASE_EXPIRED.

The wire format is tRPC's plain JSON: mutations are POST /api/trpc/<procedure> with the
input as the body; queries are GET /api/trpc/<procedure>?input=<url-encoded JSON>; the
answer is {"result": {"data": ...}} or {"error": {"message", "data": {"userMessage", ...}}}.
"""

import argparse
import json
import math
import os
import sys
import time
import urllib.error
import urllib.parse
import urllib.request


class AutoglmError(Exception):
    def __init__(self, message, code=None, status=None):
        super().__init__(message)
        self.code = code
        self.status = status


class Client:
    def __init__(self, server, token, timeout=30.0):
        self.base = server.rstrip("/")
        if self.base.endswith("/api/trpc"):
            self.base = self.base[: -len("/api/trpc")]
        self.token = token.strip()
        self.timeout = timeout

    def _call(self, method, procedure, payload):
        url = "%s/api/trpc/%s" % (self.base, procedure)
        data = None
        if method == "GET":
            url += "?" + urllib.parse.urlencode({"input": json.dumps(payload)})
        else:
            data = json.dumps(payload).encode("utf-8")
        req = urllib.request.Request(url, data=data, method=method)
        req.add_header("Authorization", "Bearer " + self.token)
        req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                body = json.load(resp)
        except urllib.error.HTTPError as e:
            raise _error_from(e) from None
        except urllib.error.URLError as e:
            raise AutoglmError("cannot reach %s: %s" % (self.base, e.reason), code="UNREACHABLE") from None
        return body["result"]["data"]

    def ask(self, study_id):
        return self._call("POST", "trial.ask", {"studyId": study_id})

    def report(self, trial_id, step, value):
        return self._call("POST", "trial.report", {"trialId": trial_id, "step": step, "value": value})["prune"]

    def tell(self, trial_id, value=None, state=None, reason=None):
        payload = {"trialId": trial_id}
        if value is not None:
            payload["value"] = value
        if state is not None:
            payload["state"] = state
        if reason is not None:
            payload["reason"] = reason[:500]
        return self._call("POST", "trial.tell", payload)

    def best(self, study_id):
        return self._call("GET", "study.best", {"studyId": study_id})


def _error_from(http_error):
    """The server's sentence (data.userMessage) and code, or the HTTP status if the body is not tRPC JSON."""
    status = http_error.code
    try:
        err = json.load(http_error)["error"]
        data = err.get("data") or {}
        message = data.get("userMessage") or err.get("message") or "HTTP %d" % status
        code = data.get("appCode") or data.get("code")
    except (ValueError, KeyError, TypeError):
        message, code = "unexpected HTTP %d from the server" % status, None
    if status == 401:
        message = "token rejected: " + message
    return AutoglmError(message, code=code, status=status)


def objective(params, report):
    """A stand-in for training: a bowl over the numeric parameters, 'trained' in 3 steps.

    `report(step, value)` returns True when the pruner says this trial is hopeless.
    Returns the final value, or None when pruned.
    """
    loss = 0.0
    for name, v in sorted(params.items()):
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            continue
        loss += math.log10(v) ** 2 if name == "lr" and v > 0 else (v - 1.0) ** 2 / 10.0
    for step in range(3):
        value = loss * (1.0 + 1.0 / (step + 1))  # decreasing towards `loss`
        if report(step, value):
            return None
    return loss


def load_config():
    server, token = os.environ.get("AUTOGLM_SERVER"), os.environ.get("AUTOGLM_TOKEN")
    if server and token:
        return server, token
    path = os.environ.get("AUTOGLM_CONFIG") or os.path.join(
        os.environ.get("XDG_CONFIG_HOME") or os.path.expanduser("~/.config"), "autoglm", "config.json"
    )
    try:
        with open(path) as f:
            stored = json.load(f)
    except (OSError, ValueError):
        stored = {}
    server, token = server or stored.get("server"), token or stored.get("token")
    if not server or not token:
        raise AutoglmError("set AUTOGLM_SERVER and AUTOGLM_TOKEN, or run `autoglm login` first")
    return server, token


# Codes (error.data.appCode) with which `ask` says the study hands out no more trials:
# stopped or completed, or budget.max_trials used up. MAX_PARALLEL_REACHED means other
# workers hold every slot: wait and ask again.
STUDY_ENDED = ("STUDY_NOT_RUNNING", "STUDY_BUDGET_EXHAUSTED")


def ask_when_free(client, study_id):
    """Asks for a trial; while other workers hold every slot (budget.max_parallel), waits and retries."""
    for delay in (1, 2, 4, 8, 15, 15, 15, 15, 0):
        try:
            return client.ask(study_id)
        except AutoglmError as e:
            if e.code != "MAX_PARALLEL_REACHED" or not delay:
                raise
            time.sleep(delay)


def main(argv=None):
    parser = argparse.ArgumentParser(description="Open-AutoGLM ask/tell loop over plain HTTP")
    parser.add_argument("study", help="study id")
    parser.add_argument("--trials", type=int, default=10, help="how many trials to run (default 10)")
    args = parser.parse_args(argv)
    try:
        server, token = load_config()
        client = Client(server, token)
        for _ in range(args.trials):
            try:
                trial = ask_when_free(client, args.study)
            except AutoglmError as e:
                if e.code in STUDY_ENDED:
                    print("study ended: %s" % e)
                    break
                raise
            tid = trial["trialId"]
            try:
                value = objective(trial["params"], lambda step, v: client.report(tid, step, v))
            except AutoglmError:
                raise  # the platform refused a report: nothing to tell
            except Exception as e:  # the objective crashed: the trial failed, the study goes on
                client.tell(tid, state="failed", reason="objective raised %s: %s" % (type(e).__name__, e))
                print("trial #%d failed: %s" % (trial["number"], e))
                continue
            if value is None:
                client.tell(tid, state="pruned")
                print("trial #%d pruned" % trial["number"])
            else:
                client.tell(tid, value=value)
                print("trial #%d value %.6g params %s" % (trial["number"], value, json.dumps(trial["params"])))
        best = client.best(args.study)
        if best:
            print("best: trial #%d value %.6g params %s" % (best["number"], best["value"], json.dumps(best["params"])))
        else:
            print("best: no completed trial yet")
        return 0
    except AutoglmError as e:
        print("ask_tell.py: error: %s" % e, file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
