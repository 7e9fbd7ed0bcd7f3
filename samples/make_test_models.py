"""Generate the small ONNX models the tests use to check model signatures.

  python3 samples/make_test_models.py

Each is a variant of the iris sample model (samples/models/iris), built with
onnx.helper and written with its manifest to samples/test-models/<name>/:

  float64-probabilities  probabilities as double (Cast after the Softmax): supported
  float64-input          a double input (Cast to float before the first Gemm): supported
  regression             one float value per row, no probabilities: refused
  int64-input            an int64 input: refused
  two-inputs             two inputs concatenated: refused
  rank3-input            a [batch, 1, 4] input: refused

It also writes samples/test-data/iris-brotli.parquet: samples/data/iris.parquet
rewritten by pyarrow with BROTLI pages (same schema and values).

The supported variants compute exactly what the iris model computes (the casts
are exact for these values), so their predictions equal samples/expected/.
Deterministic: running it twice gives byte-identical files. Needs onnx and numpy
and pyarrow (samples/requirements.txt); not scikit-learn.
"""
import hashlib
import json
from pathlib import Path

import numpy as np
import onnx
import pyarrow.parquet as pq
from onnx import TensorProto, helper, numpy_helper

SAMPLES = Path(__file__).resolve().parent
IRIS = SAMPLES / "models" / "iris"
OUT = SAMPLES / "test-models"
OPSET = 13
IR_VERSION = 8
CREATED_AT = "2026-11-24T00:00:00Z"
FEATURES = ["sepal_length", "sepal_width", "petal_length", "petal_width"]
LABELS = ["setosa", "versicolor", "virginica"]


def iris_graph():
    return onnx.load(str(IRIS / "model.onnx")).graph


def model_of(graph):
    model = helper.make_model(graph, producer_name="make_test_models.py",
                              opset_imports=[helper.make_opsetid("", OPSET)])
    model.ir_version = IR_VERSION
    onnx.checker.check_model(model)
    return model


def label_output():
    return helper.make_tensor_value_info("label", TensorProto.INT64, ["batch"])


def float64_probabilities():
    # softmax writes probabilities_f; a Cast makes the double 'probabilities'; ArgMax reads the float copy
    g = iris_graph()
    nodes = []
    for node in g.node:
        node = onnx.NodeProto.FromString(node.SerializeToString())
        for i, value in enumerate(node.output):
            if value == "probabilities":
                node.output[i] = "probabilities_f"
        for i, value in enumerate(node.input):
            if value == "probabilities":
                node.input[i] = "probabilities_f"
        nodes.append(node)
    nodes.append(helper.make_node("Cast", ["probabilities_f"], ["probabilities"], to=TensorProto.DOUBLE, name="to_double"))
    graph = helper.make_graph(nodes, "float64-probabilities", inputs=list(g.input),
                              outputs=[label_output(),
                                       helper.make_tensor_value_info("probabilities", TensorProto.DOUBLE, ["batch", 3])],
                              initializer=list(g.initializer))
    return model_of(graph)


def with_input(name, input_info, prelude, initializers=()):
    """The iris graph fed through `prelude` nodes that turn `input_info` into the float 'features_f'."""
    g = iris_graph()
    nodes = []
    for node in g.node:
        node = onnx.NodeProto.FromString(node.SerializeToString())
        for i, value in enumerate(node.input):
            if value == "features":
                node.input[i] = "features_f"
        nodes.append(node)
    graph = helper.make_graph(prelude + nodes, name, inputs=input_info, outputs=list(g.output),
                              initializer=list(g.initializer) + list(initializers))
    return model_of(graph)


def regression():
    w = np.array([[0.5], [-0.25], [1.0], [0.75]], dtype=np.float32)
    b = np.array([0.125], dtype=np.float32)
    graph = helper.make_graph(
        [helper.make_node("Gemm", ["features", "W", "B"], ["variable"], name="linear")], "regression",
        inputs=[helper.make_tensor_value_info("features", TensorProto.FLOAT, ["batch", 4])],
        outputs=[helper.make_tensor_value_info("variable", TensorProto.FLOAT, ["batch", 1])],
        initializer=[numpy_helper.from_array(w, "W"), numpy_helper.from_array(b, "B")])
    return model_of(graph)


def write(name, model, dtype="float32", outputs=None, labels=LABELS):
    folder = OUT / name
    folder.mkdir(parents=True, exist_ok=True)
    data = model.SerializeToString()
    (folder / "model.onnx").write_bytes(data)
    manifest = {
        "name": name,
        "version": "1",
        "framework": "onnxruntime",
        "files": [{"path": "model.onnx", "sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}],
        "input": {"name": "features", "shape": ["batch", 4], "dtype": dtype},
        "features": FEATURES,
        "outputs": outputs or {"label": "label", "probabilities": "probabilities"},
        "labels": labels,
        "created_at": CREATED_AT,
    }
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8", newline="\n")


def main():
    write("float64-probabilities", float64_probabilities())
    write("float64-input", with_input("float64-input",
          [helper.make_tensor_value_info("features", TensorProto.DOUBLE, ["batch", 4])],
          [helper.make_node("Cast", ["features"], ["features_f"], to=TensorProto.FLOAT, name="to_float")]),
          dtype="float64")
    write("int64-input", with_input("int64-input",
          [helper.make_tensor_value_info("features", TensorProto.INT64, ["batch", 4])],
          [helper.make_node("Cast", ["features"], ["features_f"], to=TensorProto.FLOAT, name="to_float")]))
    write("two-inputs", with_input("two-inputs",
          [helper.make_tensor_value_info("features", TensorProto.FLOAT, ["batch", 2]),
           helper.make_tensor_value_info("more_features", TensorProto.FLOAT, ["batch", 2])],
          [helper.make_node("Concat", ["features", "more_features"], ["features_f"], axis=1, name="concat")]))
    write("rank3-input", with_input("rank3-input",
          [helper.make_tensor_value_info("features", TensorProto.FLOAT, ["batch", 1, 4])],
          [helper.make_node("Reshape", ["features", "flat_shape"], ["features_f"], name="flatten")],
          [numpy_helper.from_array(np.array([-1, 4], dtype=np.int64), "flat_shape")]))
    write("regression", regression(), outputs={"probabilities": "variable"}, labels=["value"])
    (SAMPLES / "test-data").mkdir(exist_ok=True)
    pq.write_table(pq.read_table(SAMPLES / "data" / "iris.parquet"), SAMPLES / "test-data" / "iris-brotli.parquet",
                   compression="brotli")


if __name__ == "__main__":
    main()
