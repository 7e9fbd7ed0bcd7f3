package dev.batchinference.model;

import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * Loaded models kept for the life of the process, keyed by the ONNX file's sha256: a warm Lambda
 * (or the next chunk of the same job) reuses the session instead of loading it again.
 */
public final class ModelCache {
    private final ConcurrentHashMap<String, OnnxModel> models = new ConcurrentHashMap<>();

    /** The loaded model, or one loaded from the verified bytes the supplier gives ({@link ModelStore#loadVerified}). */
    public OnnxModel get(ModelRef ref, ModelManifest manifest, Supplier<byte[]> verifiedOnnx) {
        return models.computeIfAbsent(ref.sha256(), sha -> OnnxModel.load(verifiedOnnx.get(), manifest));
    }

    public int size() {
        return models.size();
    }
}
