"""The optuna-dashboard side of `pnpm bench:dashboard`: the bench's trials into an Optuna SQLite storage.

The first API_TRIALS trials go through Optuna's own API (`create_trial` + `study.add_trials`); the
rest are copied in as the same rows that API wrote (trials, trial_params with the distribution JSON
Optuna serialized, trial_values, trial_intermediate_values), because the API costs 23 ms a trial
here (100,000 trials: 40 minutes). The script then reads bulk trials back through Optuna's storage
and checks they equal what `create_trial` builds from the same data, so the dashboard reads what
Optuna itself would have written.

    python optuna_peer.py TRIALS.json STORAGE.sqlite3   (prints one JSON line: counts and seconds)
"""

import json
import sqlite3
import sys
import time
from datetime import datetime

import optuna
from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution
from optuna.trial import TrialState

API_TRIALS = 200
BATCH = 100

optuna.logging.set_verbosity(optuna.logging.ERROR)


def distributions_of(space):
    out = {}
    for name, p in space.items():
        if p["type"] == "float":
            out[name] = FloatDistribution(p["low"], p["high"], log=bool(p.get("log")))
        elif p["type"] == "int":
            out[name] = IntDistribution(p["low"], p["high"], log=bool(p.get("log")))
        else:
            out[name] = CategoricalDistribution(p["choices"])
    return out


def when(iso):
    # Optuna keeps naive datetimes (its own datetime.now()); the bench's are UTC.
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).replace(tzinfo=None)


def frozen(t, dists):
    trial = optuna.trial.create_trial(
        state=TrialState.COMPLETE,
        params=t["params"],
        distributions=dists,
        value=t["value"],
        intermediate_values={i: v for i, v in enumerate(t["iv"])},
    )
    # create_trial dates a trial now; the bench's trials carry their own times.
    trial.datetime_start = when(t["start"])
    trial.datetime_complete = when(t["end"])
    return trial


def main():
    data_path, db_path = sys.argv[1], sys.argv[2]
    with open(data_path) as f:
        data = json.load(f)
    trials = data["trials"]
    dists = distributions_of(data["space"])
    t0 = time.time()
    study = optuna.create_study(storage=f"sqlite:///{db_path}", study_name=data["name"], direction=data["direction"])
    head = trials[:API_TRIALS]
    for i in range(0, len(head), BATCH):
        study.add_trials([frozen(t, dists) for t in head[i : i + BATCH]])
    api_s = time.time() - t0

    t1 = time.time()
    db = sqlite3.connect(db_path)
    study_id = db.execute("SELECT study_id FROM studies WHERE study_name = ?", (data["name"],)).fetchone()[0]
    dist_json = dict(
        db.execute("SELECT param_name, distribution_json FROM trial_params WHERE trial_id = (SELECT min(trial_id) FROM trials)")
    )
    next_id = db.execute("SELECT max(trial_id) FROM trials").fetchone()[0] + 1
    fmt = lambda iso: when(iso).isoformat(sep=" ", timespec="microseconds")  # noqa: E731 - SQLAlchemy's SQLite DATETIME text
    rows_t, rows_p, rows_v, rows_iv = [], [], [], []
    for n, t in enumerate(trials[API_TRIALS:], start=API_TRIALS):
        tid = next_id + n - API_TRIALS
        rows_t.append((tid, n, study_id, "COMPLETE", fmt(t["start"]), fmt(t["end"])))
        for name, value in t["params"].items():
            rows_p.append((tid, name, dists[name].to_internal_repr(value), dist_json[name]))
        rows_v.append((tid, 0, t["value"], "FINITE"))
        rows_iv.extend((tid, step, v, "FINITE") for step, v in enumerate(t["iv"]))
    with db:
        db.executemany("INSERT INTO trials (trial_id, number, study_id, state, datetime_start, datetime_complete) VALUES (?,?,?,?,?,?)", rows_t)
        db.executemany("INSERT INTO trial_params (trial_id, param_name, param_value, distribution_json) VALUES (?,?,?,?)", rows_p)
        db.executemany("INSERT INTO trial_values (trial_id, objective, value, value_type) VALUES (?,?,?,?)", rows_v)
        db.executemany(
            "INSERT INTO trial_intermediate_values (trial_id, step, intermediate_value, intermediate_value_type) VALUES (?,?,?,?)",
            rows_iv,
        )
    db.close()
    bulk_s = time.time() - t1

    # The copied rows read back through Optuna equal what its API builds from the same data.
    storage = optuna.storages.RDBStorage(f"sqlite:///{db_path}")
    for n in sorted({API_TRIALS, len(trials) // 2, len(trials) - 1}):
        if n >= len(trials):
            continue
        got = storage.get_trial(storage.get_trial_id_from_study_id_trial_number(study_id, n))
        want = frozen(trials[n], dists)
        for field in ("state", "params", "distributions", "value", "intermediate_values", "datetime_start", "datetime_complete"):
            if getattr(got, field) != getattr(want, field):
                raise SystemExit(f"trial {n}: {field} {getattr(got, field)!r} != {getattr(want, field)!r}")
    count = len(storage.get_all_trials(study_id, deepcopy=False))
    if count != len(trials):
        raise SystemExit(f"{count} trials in the storage, {len(trials)} expected")
    print(json.dumps({"trials": count, "api_trials": len(head), "api_s": api_s, "bulk_s": bulk_s, "optuna": optuna.__version__}))


if __name__ == "__main__":
    main()
