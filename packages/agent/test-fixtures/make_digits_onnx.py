# Writes digits-mlp.onnx and digits-mlp.expected.json beside this file: a scikit-learn
# MLPClassifier (one hidden layer of 32) on the digits set (1,797 × 64, 10 classes), exported
# with skl2onnx, plus the first 10 rows with scikit-learn's own labels and probabilities, which
# the replica tests compare the served answers with. Also digits-zipmap.onnx: a logistic
# regression exported with skl2onnx's default ZipMap (probabilities as a sequence of maps),
# which a replica must refuse at load; and two-inputs.onnx: a hand-built graph of a float input
# `x` [batch, 2] and an int64 input `count` [batch, 1] giving `joined` = [x, count] (FP32) and
# `positive` = count > 0 (BOOL), for the typed-tensor paths.
#
#   python3 -m venv /tmp/onnx-venv && /tmp/onnx-venv/bin/pip install scikit-learn==1.9.1 skl2onnx==1.20.0 onnx==1.23.2
#   /tmp/onnx-venv/bin/python packages/agent/test-fixtures/make_digits_onnx.py
import json
import os

import numpy as np
from onnx import TensorProto, helper, numpy_helper
from skl2onnx import to_onnx
from skl2onnx.common.data_types import FloatTensorType
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.neural_network import MLPClassifier

HERE = os.path.dirname(os.path.abspath(__file__))

x, y = load_digits(return_X_y=True)
x = x.astype(np.float32)
clf = MLPClassifier(hidden_layer_sizes=(32,), max_iter=300, random_state=0).fit(x, y)

# zipmap False: probabilities as a [rows, 10] tensor instead of a sequence of maps (a replica
# serves tensors only); the batch axis stays dynamic.
onx = to_onnx(
    clf,
    initial_types=[("input", FloatTensorType([None, 64]))],
    options={id(clf): {"zipmap": False}},
    target_opset=17,
)
with open(os.path.join(HERE, "digits-mlp.onnx"), "wb") as f:
    f.write(onx.SerializeToString())

rows = x[:10]
expected = {
    "inputs": rows.tolist(),
    "labels": clf.predict(rows).astype(int).tolist(),
    "probabilities": [[round(float(p), 6) for p in r] for r in clf.predict_proba(rows)],
}
with open(os.path.join(HERE, "digits-mlp.expected.json"), "w") as f:
    json.dump(expected, f, separators=(",", ":"))
    f.write("\n")

linear = LogisticRegression(max_iter=200).fit(x, y)
zipmap = to_onnx(linear, initial_types=[("input", FloatTensorType([None, 64]))], target_opset=17)
with open(os.path.join(HERE, "digits-zipmap.onnx"), "wb") as f:
    f.write(zipmap.SerializeToString())

graph = helper.make_graph(
    [
        helper.make_node("Cast", ["count"], ["count_f"], to=TensorProto.FLOAT),
        helper.make_node("Concat", ["x", "count_f"], ["joined"], axis=1),
        helper.make_node("Greater", ["count", "zero"], ["positive"]),
    ],
    "two_inputs",
    [
        helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 2]),
        helper.make_tensor_value_info("count", TensorProto.INT64, ["batch", 1]),
    ],
    [
        helper.make_tensor_value_info("joined", TensorProto.FLOAT, ["batch", 3]),
        helper.make_tensor_value_info("positive", TensorProto.BOOL, ["batch", 1]),
    ],
    [numpy_helper.from_array(np.array(0, dtype=np.int64), "zero")],
)
two = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)
with open(os.path.join(HERE, "two-inputs.onnx"), "wb") as f:
    f.write(two.SerializeToString())
