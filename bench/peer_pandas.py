"""The worker's path written the obvious way with pandas + onnxruntime: a peer for bench/fresh.sh.

Usage: python3 peer_pandas.py MODEL_DIR INPUT OUTPUT   (CSV or Parquet by extension)
Reads the model's manifest for its features, input name and labels; writes id-like pass-through
columns, label and prob_<class> as ./pipeline predict does. ONNX Runtime on one intra-op thread, as
the pipeline's worker runs it.
"""
import json
import sys
import time

import numpy as np
import onnxruntime as ort
import pandas as pd


def main(model_dir, source, target):
    manifest = json.load(open(f"{model_dir}/manifest.json"))
    features = manifest["features"]
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    session = ort.InferenceSession(f"{model_dir}/{manifest['files'][0]['path']}", options,
                                   providers=["CPUExecutionProvider"])
    frame = pd.read_parquet(source) if source.endswith(".parquet") else pd.read_csv(source)
    tensor = frame[features].to_numpy(dtype=np.float32)
    label_out, prob_out = manifest["outputs"]["label"], manifest["outputs"]["probabilities"]
    labels, probs = session.run([label_out, prob_out], {manifest["input"]["name"]: tensor})
    out = frame[[c for c in frame.columns if c not in features]].copy()
    out["label"] = np.asarray(manifest["labels"])[labels]
    for i, name in enumerate(manifest["labels"]):
        out[f"prob_{name}"] = probs[:, i]
    if target.endswith(".parquet"):
        out.to_parquet(target, index=False)
    else:
        out.to_csv(target, index=False)
    return len(out)


if __name__ == "__main__":
    started = time.monotonic()
    rows = main(*sys.argv[1:4])
    print(f"pandas + onnxruntime: {rows:,} rows in {time.monotonic() - started:.2f} s", file=sys.stderr)
