# The scikit-learn side of `pnpm bench:serve` (bench/serve.mjs runs it in bench/.venv):
# trains an MLPClassifier on the digits set the builtin trainer reads (native/data/digits.csv,
# 1,797 × 64 pixels 0-16) with the builtin trainer's split (native/data.js splitRows: an LCG
# shuffle seeded 1, the first 20 % held out), then writes
#   <out>/model.onnx       the same model exported with skl2onnx (probabilities as a tensor, no ZipMap),
#                          which our agent serves with onnxruntime-node (flavor onnx);
#   <out>/mlflow-model/    the same model saved with mlflow.sklearn, which `mlflow models serve` serves;
#   <out>/rows.json        the first 64 held-out rows, their labels and scikit-learn's predictions,
#                          the bodies of every server's requests and the answers to check them against.
# One JSON line on stdout: validation accuracy, versions.
#   python serve_peer.py <digits.csv> <out dir>
import csv
import json
import math
import os
import sys

import mlflow
import mlflow.sklearn
import numpy as np
import onnx
import skl2onnx
import sklearn
from mlflow.models import infer_signature
from skl2onnx import to_onnx
from skl2onnx.common.data_types import FloatTensorType
from sklearn.neural_network import MLPClassifier

ROWS_PER_REQUEST = 64


def split_rows(rows, val_fraction=0.2, seed=1):
    """native/data.js splitRows, step for step: the same train and validation rows as the builtin trainer."""
    idx = list(range(rows))
    s = seed & 0xFFFFFFFF or 1
    for i in range(rows - 1, 0, -1):
        s = (s * 1664525 + 1013904223) & 0xFFFFFFFF
        j = math.floor(s / 2**32 * (i + 1))
        idx[i], idx[j] = idx[j], idx[i]
    # JavaScript's Math.round: halves go up (359.4 → 359 for digits).
    n_val = math.floor(rows * val_fraction + 0.5)
    return idx[n_val:], idx[:n_val]


def main(csv_path, out):
    with open(csv_path, newline="") as f:
        table = list(csv.reader(f))[1:]
    x = np.array([[float(v) for v in r[:-1]] for r in table], dtype=np.float32)
    y = np.array([int(float(r[-1])) for r in table])
    train, val = split_rows(len(y))
    # One hidden layer of 32, as packages/agent/test-fixtures/make_digits_onnx.py and the bench's builtin study.
    clf = MLPClassifier(hidden_layer_sizes=(32,), max_iter=300, random_state=0).fit(x[train], y[train])
    accuracy = float((clf.predict(x[val]) == y[val]).mean())

    onx = to_onnx(
        clf,
        initial_types=[("input", FloatTensorType([None, 64]))],
        options={id(clf): {"zipmap": False}},
        target_opset=17,
    )
    with open(os.path.join(out, "model.onnx"), "wb") as f:
        f.write(onx.SerializeToString())

    rows = x[val][:ROWS_PER_REQUEST]
    # A signature, as mlflow.sklearn.log_model asks for: the scoring server checks inputs against it.
    # MLflow 3's default format (skops) loads only the types it is told to trust; a fitted MLP
    # holds its Adam optimizer's state.
    mlflow.sklearn.save_model(
        clf,
        os.path.join(out, "mlflow-model"),
        signature=infer_signature(rows, clf.predict(rows)),
        skops_trusted_types=["sklearn.neural_network._stochastic_optimizers.AdamOptimizer"],
    )

    with open(os.path.join(out, "rows.json"), "w") as f:
        json.dump(
            {
                "rows": rows.astype(int).tolist(),
                "labels": y[val][:ROWS_PER_REQUEST].tolist(),
                "sklearn": clf.predict(rows).astype(int).tolist(),
            },
            f,
        )
    print(
        json.dumps(
            {
                "val_accuracy": accuracy,
                "train_rows": len(train),
                "val_rows": len(val),
                "versions": {
                    "mlflow": mlflow.__version__,
                    "scikit-learn": sklearn.__version__,
                    "skl2onnx": skl2onnx.__version__,
                    "onnx": onnx.__version__,
                    "numpy": np.__version__,
                    "python": sys.version.split()[0],
                },
            }
        )
    )


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
