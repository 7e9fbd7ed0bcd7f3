package dev.batchinference.model;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.batchinference.failure.FailureReason;
import dev.batchinference.failure.PipelineException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A model's {@code manifest.json} (a contract: docs/design.md): its files with checksums, the input
 * tensor, the feature columns in tensor order, which outputs hold the label and the probabilities,
 * and the class names.
 */
public record ModelManifest(
        String name,
        String version,
        String framework,
        List<ModelFile> files,
        TensorSpec input,
        List<String> features,
        Map<String, String> outputs,
        List<String> labels,
        @JsonProperty("created_at") String createdAt) {

    public static final String MODEL_FILE = "model.onnx";
    public static final String MANIFEST_FILE = "manifest.json";

    /** One file of the model with its checksum. */
    public record ModelFile(String path, String sha256, long size) {
    }

    /** The input tensor: name, shape with a dynamic batch dimension, element type. */
    public record TensorSpec(String name, List<Object> shape, String dtype) {
    }

    public ModelFile onnxFile() {
        return files.stream().filter(f -> f.path().endsWith(".onnx")).findFirst()
                .orElseThrow(() -> invalid("lists no .onnx file"));
    }

    public String labelOutput() {
        return outputs.get("label");
    }

    public String probabilitiesOutput() {
        return outputs.get("probabilities");
    }

    /** Checks what the pipeline relies on, so a bad manifest fails its job with one clear message. */
    public ModelManifest validated() {
        List<String> problems = new ArrayList<>();
        if (name == null || name.isBlank()) {
            problems.add("no name");
        }
        if (version == null || version.isBlank()) {
            problems.add("no version");
        }
        if (framework != null && !framework.equals("onnxruntime")) {
            problems.add("framework is '" + framework + "', expected 'onnxruntime'");
        }
        if (files == null || files.stream().noneMatch(f -> f.path() != null && f.path().endsWith(".onnx"))) {
            problems.add("files lists no .onnx file");
        }
        if (input == null || input.name() == null) {
            problems.add("no input tensor name");
        }
        if (features == null || features.isEmpty()) {
            problems.add("no features");
        } else if (features.stream().distinct().count() != features.size()) {
            problems.add("features repeat a name");
        }
        if (outputs == null || outputs.get("probabilities") == null) {
            problems.add("outputs name no 'probabilities' tensor (only classifiers are supported so far)");
        }
        if (labels == null || labels.isEmpty()) {
            problems.add("no labels (class names)");
        }
        if (!problems.isEmpty()) {
            throw invalid(String.join("; ", problems));
        }
        return this;
    }

    private PipelineException invalid(String problem) {
        return new PipelineException(FailureReason.MODEL_INVALID,
                "model manifest of '" + name + "' version '" + version + "' " + problem);
    }
}
