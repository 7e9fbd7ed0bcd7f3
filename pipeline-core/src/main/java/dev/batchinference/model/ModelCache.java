package dev.batchinference.model;

import java.nio.file.Path;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * Loaded models kept for the life of the process, keyed by the ONNX file's sha256: a warm Lambda
 * (or the next chunk of the same job) reuses the session instead of loading it again.
 */
public final class ModelCache {
    private final ConcurrentHashMap<String, OnnxModel> models = new ConcurrentHashMap<>();

    public OnnxModel get(ModelRef ref, ModelManifest manifest, Supplier<Path> onnxFile) {
        return models.computeIfAbsent(ref.sha256(), sha -> OnnxModel.load(onnxFile.get(), manifest));
    }

    public int size() {
        return models.size();
    }
}
