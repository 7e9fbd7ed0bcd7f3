"""The worker's path written the obvious way with polars + onnxruntime: a peer for bench/fresh.sh.

Usage: python3 peer_polars.py MODEL_DIR INPUT OUTPUT   (CSV or Parquet by extension)
polars reads and writes on every core (its default); ONNX Runtime on its default threads.
"""
import json
import sys
import time

import numpy as np
import onnxruntime as ort
import polars as pl


def main(model_dir, source, target):
    manifest = json.load(open(f"{model_dir}/manifest.json"))
    features = manifest["features"]
    session = ort.InferenceSession(f"{model_dir}/{manifest['files'][0]['path']}",
                                   providers=["CPUExecutionProvider"])
    frame = pl.read_parquet(source) if source.endswith(".parquet") else pl.read_csv(source)
    tensor = frame.select(features).to_numpy().astype(np.float32, copy=False)
    label_out, prob_out = manifest["outputs"]["label"], manifest["outputs"]["probabilities"]
    labels, probs = session.run([label_out, prob_out], {manifest["input"]["name"]: tensor})
    names = manifest["labels"]
    out = frame.select([c for c in frame.columns if c not in features]).with_columns(
        pl.Series("label", np.asarray(names)[labels]),
        *[pl.Series(f"prob_{name}", probs[:, i]) for i, name in enumerate(names)])
    if target.endswith(".parquet"):
        out.write_parquet(target)
    else:
        out.write_csv(target)
    return out.height


if __name__ == "__main__":
    started = time.monotonic()
    rows = main(*sys.argv[1:4])
    print(f"polars + onnxruntime: {rows:,} rows in {time.monotonic() - started:.2f} s", file=sys.stderr)
