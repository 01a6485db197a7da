"""Peer measurements for `pnpm bench:native`, run in the same session as ours.

numpy (OpenBLAS) f32 GEMM and scikit-learn's MLPClassifier (numpy + OpenBLAS, Adam) on the
same data, batch size and epochs as our mlp. Prints one JSON object.
"""
import json
import os
import sys
import time

threads = sys.argv[1] if len(sys.argv) > 1 else "1"
os.environ["OPENBLAS_NUM_THREADS"] = threads
os.environ["OMP_NUM_THREADS"] = threads

import numpy as np  # noqa: E402

out = {"numpy": np.__version__, "threads": int(threads)}
cfg = np.show_config(mode="dicts") if hasattr(np, "show_config") else None
try:
    out["blas"] = cfg["Build Dependencies"]["blas"]["name"] + " " + cfg["Build Dependencies"]["blas"].get("version", "")
except Exception:  # noqa: BLE001
    out["blas"] = "unknown"

n = 1024
a = np.random.default_rng(0).standard_normal((n, n), dtype=np.float32)
b = np.random.default_rng(1).standard_normal((n, n), dtype=np.float32)
a @ b
best = float("inf")
for _ in range(10):
    t0 = time.perf_counter()
    a @ b
    best = min(best, time.perf_counter() - t0)
out["gemm_gflops"] = 2 * n**3 / best / 1e9

if len(sys.argv) > 2:
    spec = json.loads(sys.argv[2])
    try:
        import warnings

        from sklearn.exceptions import ConvergenceWarning
        from sklearn.neural_network import MLPClassifier

        data = np.loadtxt(spec["csv"], delimiter=",", skiprows=1, dtype=np.float32)
        x, y = data[:, :-1], data[:, -1].astype(int)
        x = (x - x.mean(0)) / np.where(x.std(0) > 0, x.std(0), 1)
        clf = MLPClassifier(
            hidden_layer_sizes=(spec["width"],) * spec["layers"],
            activation="relu",
            solver="adam",
            batch_size=spec["batchSize"],
            learning_rate_init=spec["lr"],
            max_iter=spec["epochs"],
            tol=0.0,
            n_iter_no_change=10**9,
            shuffle=True,
            random_state=0,
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            t0 = time.perf_counter()
            clf.fit(x, y)
            el = time.perf_counter() - t0
        out["mlp_samples_per_sec"] = len(x) * spec["epochs"] / el
        import sklearn

        out["sklearn"] = sklearn.__version__
    except Exception as e:  # noqa: BLE001
        out["mlp_error"] = repr(e)

print(json.dumps(out))
