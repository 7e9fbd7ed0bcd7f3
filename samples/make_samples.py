"""Generate the sample ONNX models, input CSVs and reference predictions.

Everything under samples/models, samples/data and samples/expected is written
by this script and committed, so users of the project never need Python.
The CSVs are also written as Parquet (pyarrow) and transactions.csv as a
gzip'd copy; those are derived from the CSV text, so they hold exactly the
values the CSV denotes.

  python3 samples/make_samples.py

The script is deterministic: fixed seeds, fixed timestamps, no dict/set
ordering surprises. Running it twice produces byte-identical files.

Models are built by hand with onnx.helper (opset 13, IR version 8) so that
ONNX Runtime 1.29 (the Java consumer) can load them. Feature standardization
is folded into the first Gemm, so the models take raw feature values.
Reference probabilities are printed with '%.9g' (9 significant digits, which
round-trips any float32 exactly).
"""
import csv
import gzip
import hashlib
import io
import json
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pyarrow as pa
import pyarrow.parquet as pq
from onnx import TensorProto, helper, numpy_helper
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression
from sklearn.neural_network import MLPClassifier
from sklearn.preprocessing import StandardScaler

SAMPLES = Path(__file__).resolve().parent
OPSET = 13
IR_VERSION = 8
CREATED_AT = "2026-11-24T00:00:00Z"
PROB_FORMAT = "%.9g"

IRIS_FEATURES = ["sepal_length", "sepal_width", "petal_length", "petal_width"]
IRIS_LABELS = ["setosa", "versicolor", "virginica"]
FRAUD_LABELS = ["legit", "fraud"]
N_TRANSACTIONS = 10_000
N_HOLDOUT = 5_000
TRANSACTIONS_ROW_GROUP = 2_500  # 4 row groups, so readers can split the file

# Fraud features in tensor (manifest) order, with the decimals printed in the CSV.
FRAUD_FEATURES = [
    ("amount", 2), ("hour_of_day", 0), ("day_of_week", 0), ("merchant_risk", 4),
    ("distance_from_home_km", 2), ("distance_from_last_txn_km", 2),
    ("minutes_since_last_txn", 1), ("txn_count_1h", 0), ("txn_count_24h", 0),
    ("avg_amount_30d", 2), ("amount_to_avg_ratio", 4), ("account_age_days", 0),
    ("card_age_days", 0), ("is_foreign", 0), ("card_present", 0),
    ("failed_pin_attempts_24h", 0), ("device_trust_score", 4), ("ip_risk_score", 4),
    ("chargebacks_90d", 0), ("credit_utilization", 4),
]
FRAUD_NAMES = [name for name, _ in FRAUD_FEATURES]
FRAUD_DECIMALS = dict(FRAUD_FEATURES)


# ---------------------------------------------------------------- ONNX graphs

def fold_scaler(scaler, weights, bias):
    """Rewrite Gemm(scale(x), W, b) as Gemm(x, W', b') for a StandardScaler."""
    w = weights / scaler.scale_[:, None]
    b = bias - (scaler.mean_ / scaler.scale_) @ weights
    return w.astype(np.float32), b.astype(np.float32)


def build_classifier(name, layers, n_features, n_classes):
    """Chain of Gemm layers (ReLU between them) -> Softmax, plus ArgMax label.

    layers: list of (weights [in, out], bias [out]) float32 arrays.
    """
    nodes, inits, current = [], [], "features"
    for i, (w, b) in enumerate(layers, start=1):
        inits += [numpy_helper.from_array(w, f"W{i}"), numpy_helper.from_array(b, f"B{i}")]
        out = "logits" if i == len(layers) else f"hidden{i}"
        nodes.append(helper.make_node("Gemm", [current, f"W{i}", f"B{i}"], [out], name=f"gemm{i}"))
        if i < len(layers):
            nodes.append(helper.make_node("Relu", [out], [f"{out}_relu"], name=f"relu{i}"))
            out = f"{out}_relu"
        current = out
    nodes.append(helper.make_node("Softmax", ["logits"], ["probabilities"], name="softmax", axis=1))
    nodes.append(helper.make_node("ArgMax", ["probabilities"], ["label"], name="argmax",
                                  axis=1, keepdims=0))
    graph = helper.make_graph(
        nodes, name,
        inputs=[helper.make_tensor_value_info("features", TensorProto.FLOAT, ["batch", n_features])],
        outputs=[helper.make_tensor_value_info("label", TensorProto.INT64, ["batch"]),
                 helper.make_tensor_value_info("probabilities", TensorProto.FLOAT,
                                               ["batch", n_classes])],
        initializer=inits)
    model = helper.make_model(graph, producer_name="make_samples.py",
                              opset_imports=[helper.make_opsetid("", OPSET)])
    model.ir_version = IR_VERSION
    onnx.checker.check_model(model)
    return model


def write_model(name, model, features, labels):
    """Write models/<name>/model.onnx and its manifest.json."""
    folder = SAMPLES / "models" / name
    folder.mkdir(parents=True, exist_ok=True)
    data = model.SerializeToString()
    (folder / "model.onnx").write_bytes(data)
    manifest = {
        "name": name,
        "version": "1",
        "framework": "onnxruntime",
        "files": [{"path": "model.onnx", "sha256": hashlib.sha256(data).hexdigest(),
                   "size": len(data)}],
        "input": {"name": "features", "shape": ["batch", len(features)], "dtype": "float32"},
        "features": features,
        "outputs": {"label": "label", "probabilities": "probabilities"},
        "labels": labels,
        "created_at": CREATED_AT,
    }
    text = json.dumps(manifest, indent=2) + "\n"
    (folder / "manifest.json").write_text(text, encoding="utf-8", newline="\n")
    return folder / "model.onnx"


# ---------------------------------------------------------------- CSV helpers

def write_csv(path, header, rows):
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def read_csv_features(path, features):
    """Read a CSV back; return (rows as dicts, float32 matrix in feature order)."""
    with open(path, encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    matrix = np.array([[float(r[name]) for name in features] for r in rows], dtype=np.float64)
    return rows, matrix.astype(np.float32)


def write_predictions(path, model_path, rows, x, passthrough, labels):
    """Run onnxruntime on x and write the reference predictions CSV."""
    session = ort.InferenceSession(str(model_path), providers=["CPUExecutionProvider"])
    label_idx, probs = session.run(["label", "probabilities"], {"features": x})
    header = passthrough + ["label"] + [f"prob_{c}" for c in labels]
    out = []
    for row, k, p in zip(rows, label_idx, probs):
        out.append([row[c] for c in passthrough] + [labels[int(k)]]
                   + [PROB_FORMAT % float(v) for v in p])
    write_csv(path, header, out)
    return label_idx, probs


# ---------------------------------------------------------------- iris

def make_iris():
    iris = load_iris()
    rows = [[str(i + 1)] + [f"{v:.1f}" for v in feats] + [IRIS_LABELS[t]]
            for i, (feats, t) in enumerate(zip(iris.data, iris.target))]
    csv_path = SAMPLES / "data" / "iris.csv"
    write_csv(csv_path, ["id"] + IRIS_FEATURES + ["species"], rows)

    rows, x = read_csv_features(csv_path, IRIS_FEATURES)
    y = iris.target
    scaler = StandardScaler().fit(x.astype(np.float64))
    clf = LogisticRegression(C=1.0, max_iter=1000, random_state=0)
    clf.fit(scaler.transform(x.astype(np.float64)), y)
    w, b = fold_scaler(scaler, clf.coef_.T, clf.intercept_)
    model = build_classifier("iris", [(w, b)], len(IRIS_FEATURES), len(IRIS_LABELS))
    model_path = write_model("iris", model, IRIS_FEATURES, IRIS_LABELS)

    pred, _ = write_predictions(SAMPLES / "expected" / "iris.predictions.csv", model_path,
                                rows, x, ["id", "species"], IRIS_LABELS)
    return {"iris_train_accuracy": float(np.mean(pred == y))}


# ---------------------------------------------------------------- fraud

def generate_transactions(rng, n, prevalence=0.055):
    """Synthetic card transactions: (feature dict rounded as printed, channel, is_fraud).

    Every row is drawn from a "legit" distribution. Fraud rows then show each of
    about a dozen warning signs (risky merchant, unusual amount, night hours,
    mostly online, foreign, burst of transactions, far from home, risky IP,
    untrusted device, new card, failed PINs, ...) independently with
    probability 0.45, so no single feature identifies fraud on its own.
    """
    is_fraud = rng.random(n) < prevalence

    def signal(base, fraud_values, p=0.45):
        return np.where(is_fraud & (rng.random(n) < p), fraud_values, base)

    def r(name, values):
        return np.round(values, FRAUD_DECIMALS[name])

    channels = np.array(["online", "pos", "atm"])
    channel = np.where(is_fraud, rng.choice(channels, n, p=[0.75, 0.15, 0.10]),
                       rng.choice(channels, n, p=[0.42, 0.48, 0.10]))
    f = {"card_present": (channel != "online").astype(np.float64)}
    daytime = np.mod(np.round(rng.normal(14.0, 4.0, n)), 24)
    hour = np.where(rng.random(n) < 0.9, daytime, rng.integers(0, 24, n))
    f["hour_of_day"] = signal(hour, rng.integers(0, 6, n))
    f["day_of_week"] = rng.integers(0, 7, n).astype(np.float64)
    f["avg_amount_30d"] = r("avg_amount_30d", rng.lognormal(3.8, 0.6, n))
    ratio = signal(rng.lognormal(0.0, 0.6, n), rng.lognormal(1.4, 0.6, n))
    f["amount"] = r("amount", np.maximum(0.5, f["avg_amount_30d"] * ratio))
    f["amount_to_avg_ratio"] = r("amount_to_avg_ratio", f["amount"] / f["avg_amount_30d"])
    f["merchant_risk"] = r("merchant_risk", signal(rng.beta(2.0, 8.0, n), rng.beta(6.0, 4.0, n)))
    f["distance_from_home_km"] = r("distance_from_home_km",
                                   signal(rng.exponential(8.0, n), rng.exponential(150.0, n)))
    f["distance_from_last_txn_km"] = r("distance_from_last_txn_km",
                                       signal(rng.exponential(5.0, n), rng.exponential(100.0, n)))
    f["minutes_since_last_txn"] = r("minutes_since_last_txn",
                                    signal(rng.exponential(600.0, n), rng.exponential(8.0, n)))
    f["txn_count_1h"] = signal(rng.poisson(0.3, n), 2 + rng.poisson(2.0, n)).astype(np.float64)
    f["txn_count_24h"] = f["txn_count_1h"] + rng.poisson(3.0, n)
    f["account_age_days"] = np.round(30 + rng.gamma(2.0, 600.0, n))
    card_age = np.floor(f["account_age_days"] * rng.random(n))
    f["card_age_days"] = signal(card_age, np.minimum(card_age, rng.integers(0, 21, n)))
    f["is_foreign"] = signal(rng.random(n) < 0.04, rng.random(n) < 0.8).astype(np.float64)
    f["failed_pin_attempts_24h"] = (signal(rng.poisson(0.1, n), 1 + rng.poisson(1.5, n))
                                    * f["card_present"])
    f["device_trust_score"] = r("device_trust_score",
                                signal(rng.beta(5.0, 2.0, n), rng.beta(2.0, 5.0, n)))
    f["ip_risk_score"] = r("ip_risk_score", signal(rng.beta(1.5, 10.0, n), rng.beta(5.0, 4.0, n)))
    f["chargebacks_90d"] = signal(rng.poisson(0.05, n), rng.poisson(0.8, n)).astype(np.float64)
    f["credit_utilization"] = r("credit_utilization", rng.beta(2.0, 5.0, n))
    return f, channel, is_fraud.astype(np.int64)


def make_fraud():
    rng = np.random.default_rng(20261124)
    feats, channel, y = generate_transactions(rng, N_TRANSACTIONS)
    csv_order = list(FRAUD_NAMES)
    np.random.default_rng(7).shuffle(csv_order)
    assert csv_order != FRAUD_NAMES
    rows = []
    for i in range(N_TRANSACTIONS):
        values = [f"{feats[name][i]:.{FRAUD_DECIMALS[name]}f}" for name in csv_order]
        rows.append([f"txn-{i + 1:06d}"] + values + [str(channel[i])])
    csv_path = SAMPLES / "data" / "transactions.csv"
    write_csv(csv_path, ["id"] + csv_order + ["channel"], rows)

    rows, x = read_csv_features(csv_path, FRAUD_NAMES)
    scaler = StandardScaler().fit(x.astype(np.float64))
    clf = MLPClassifier(hidden_layer_sizes=(16,), activation="relu", alpha=1e-3,
                        max_iter=400, random_state=0)
    clf.fit(scaler.transform(x.astype(np.float64)), y)
    w1, b1 = fold_scaler(scaler, clf.coefs_[0], clf.intercepts_[0])
    # sklearn uses one logistic output for binary problems; sigmoid(z) equals
    # softmax([0, z])[1], so the second Gemm emits logits [0, z].
    w2 = np.hstack([np.zeros_like(clf.coefs_[1]), clf.coefs_[1]]).astype(np.float32)
    b2 = np.array([0.0, clf.intercepts_[1][0]], dtype=np.float32)
    model = build_classifier("fraud", [(w1, b1), (w2, b2)], len(FRAUD_NAMES), 2)
    model_path = write_model("fraud", model, FRAUD_NAMES, FRAUD_LABELS)

    pred, _ = write_predictions(SAMPLES / "expected" / "transactions.predictions.csv",
                                model_path, rows, x, ["id", "channel"], FRAUD_LABELS)

    # Held-out rows from the same generator (not written anywhere) for an honest score.
    h_feats, _, h_y = generate_transactions(rng, N_HOLDOUT)
    h_x = np.column_stack([h_feats[name] for name in FRAUD_NAMES]).astype(np.float32)
    session = ort.InferenceSession(str(model_path), providers=["CPUExecutionProvider"])
    h_pred = session.run(["label"], {"features": h_x})[0]
    fraud_hits = np.sum((pred == 1) & (y == 1))
    return {
        "fraud_prevalence": float(np.mean(y)),
        "fraud_base_rate_accuracy": float(1.0 - np.mean(y)),
        "fraud_train_accuracy": float(np.mean(pred == y)),
        "fraud_train_precision": float(fraud_hits / max(1, np.sum(pred == 1))),
        "fraud_train_recall": float(fraud_hits / max(1, np.sum(y == 1))),
        "fraud_holdout_accuracy": float(np.mean(h_pred == h_y)),
        "fraud_holdout_base_rate_accuracy": float(1.0 - np.mean(h_y)),
        "fraud_csv_column_order": csv_order,
    }


# ---------------------------------------------------------------- Parquet and gzip copies

def write_parquet(csv_path, parquet_path, types, row_group_size):
    """Write the CSV at csv_path as Parquet, column for column.

    types maps each CSV header name to pa.string(), pa.int64() or pa.float64().
    Values come from the CSV text (int(text) / float(text)), so the file holds
    exactly the values the CSV denotes. Built from pyarrow arrays, so there is
    no pandas metadata and no index column.
    """
    with open(csv_path, encoding="utf-8", newline="") as f:
        reader = csv.reader(f)
        header = next(reader)
        rows = list(reader)
    assert list(types) == header, (list(types), header)
    convert = {pa.string(): str, pa.int64(): int, pa.float64(): float}
    arrays = [pa.array([convert[types[name]](row[i]) for row in rows], type=types[name])
              for i, name in enumerate(header)]
    table = pa.Table.from_arrays(arrays, names=header)
    # Options spelled out (most are the defaults) so the bytes do not move
    # when a pyarrow release changes a default.
    pq.write_table(table, parquet_path, row_group_size=row_group_size,
                   compression="snappy", version="2.6", data_page_version="1.0",
                   use_dictionary=True, write_statistics=True)
    return header, rows


def check_parquet(parquet_path, header, rows, types, row_group_size):
    """Read the Parquet back and assert it matches the CSV rows exactly."""
    pf = pq.ParquetFile(parquet_path)
    meta = pf.metadata
    n_groups = -(-len(rows) // row_group_size)
    assert meta.num_rows == len(rows), meta.num_rows
    assert meta.num_row_groups == n_groups, meta.num_row_groups
    for g in range(meta.num_row_groups):
        expected = min(row_group_size, len(rows) - g * row_group_size)
        assert meta.row_group(g).num_rows == expected
        for c in range(meta.num_columns):
            assert meta.row_group(g).column(c).compression == "SNAPPY"
    assert set(meta.metadata) == {b"ARROW:schema"}  # no pandas metadata or index
    schema = pf.schema_arrow
    assert schema.names == header
    assert [schema.field(n).type for n in header] == [types[n] for n in header]
    table = pf.read()
    for i, name in enumerate(header):
        values = table.column(name).to_pylist()
        if types[name] == pa.string():
            assert values == [row[i] for row in rows], name
        elif types[name] == pa.int64():
            assert values == [int(row[i]) for row in rows], name
        else:
            assert values == [float(row[i]) for row in rows], name
    return table


def parquet_features(table, features):
    """float32 [rows, features] matrix from a Parquet table, columns by name."""
    return np.column_stack([table.column(name).to_numpy().astype(np.float64)
                            for name in features]).astype(np.float32)


def write_gzip(src, dst):
    """gzip src byte for byte: level 9, mtime 0, no file name, so bytes are stable."""
    buffer = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, mtime=0, compresslevel=9) as gz:
        gz.write(src.read_bytes())
    dst.write_bytes(buffer.getvalue())
    assert gzip.decompress(dst.read_bytes()) == src.read_bytes()


def make_columnar():
    """Parquet copies of both CSVs and a gzip'd transactions.csv.

    Checks that the Parquet values equal the CSV's, and that ONNX Runtime gives
    exactly the reference predictions when fed the Parquet's float32 values.
    """
    data = SAMPLES / "data"
    iris_types = {"id": pa.int64(), **{name: pa.float64() for name in IRIS_FEATURES},
                  "species": pa.string()}
    header, rows = write_parquet(data / "iris.csv", data / "iris.parquet", iris_types, 150)
    check_parquet(data / "iris.parquet", header, rows, iris_types, 150)

    csv_path = data / "transactions.csv"
    with open(csv_path, encoding="utf-8", newline="") as f:
        csv_header = next(csv.reader(f))
    txn_types = {name: pa.string() if name in ("id", "channel")
                 else pa.int64() if FRAUD_DECIMALS[name] == 0 else pa.float64()
                 for name in csv_header}
    parquet_path = data / "transactions.parquet"
    header, rows = write_parquet(csv_path, parquet_path, txn_types, TRANSACTIONS_ROW_GROUP)
    table = check_parquet(parquet_path, header, rows, txn_types, TRANSACTIONS_ROW_GROUP)

    # Same float32 tensor as the CSV, hence the same reference predictions.
    _, csv_x = read_csv_features(csv_path, FRAUD_NAMES)
    parquet_x = parquet_features(table, FRAUD_NAMES)
    assert np.array_equal(csv_x.view(np.uint32), parquet_x.view(np.uint32))
    session = ort.InferenceSession(str(SAMPLES / "models" / "fraud" / "model.onnx"),
                                   providers=["CPUExecutionProvider"])
    label_idx, probs = session.run(["label", "probabilities"], {"features": parquet_x})
    with open(SAMPLES / "expected" / "transactions.predictions.csv", encoding="utf-8",
              newline="") as f:
        expected = list(csv.DictReader(f))
    assert len(expected) == len(label_idx)
    for row, k, p in zip(expected, label_idx, probs):
        assert row["label"] == FRAUD_LABELS[int(k)]
        assert [row[f"prob_{c}"] for c in FRAUD_LABELS] == [PROB_FORMAT % float(v) for v in p]

    write_gzip(csv_path, data / "transactions.csv.gz")
    return {"parquet_created_by": pq.ParquetFile(parquet_path).metadata.created_by}


def main():
    stats = make_iris()
    stats.update(make_fraud())
    stats.update(make_columnar())
    for key, value in stats.items():
        print(f"{key}: {value:.4f}" if isinstance(value, float) else f"{key}: {value}")


if __name__ == "__main__":
    main()
