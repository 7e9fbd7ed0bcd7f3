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

    /** The input element types the pipeline feeds: features are parsed as float32 and widened for float64. */
    public static final List<String> INPUT_TYPES = List.of("float32", "float64");

    /** Checks what the pipeline relies on, so a bad manifest fails its job with one clear message. */
    public ModelManifest validated() {
        List<String> problems = new ArrayList<>();
        addIfPresent(problems, ModelNames.problemWith("name", name));
        addIfPresent(problems, ModelNames.problemWith("version", version));
        if (framework != null && !framework.equals("onnxruntime")) {
            problems.add("framework is '" + framework + "', expected 'onnxruntime'");
        }
        if (files == null || files.stream().noneMatch(f -> f != null && f.path() != null && f.path().endsWith(".onnx"))) {
            problems.add("files lists no .onnx file");
        } else {
            for (ModelFile file : files) {
                if (file == null || file.path() == null) {
                    problems.add("files has an entry without a path");
                    continue;
                }
                if (!file.path().endsWith(".onnx")) {
                    continue; // other files travel with the model but are never loaded
                }
                if (!ModelNames.isValidFileName(file.path())) {
                    problems.add("file '" + ModelNames.printable(file.path()) + "' is not a plain file name ending in .onnx"
                            + " (letters, digits, '.', '_', '-'; no '/' or '..')");
                }
                if (!ModelNames.isValidSha256(file.sha256())) {
                    problems.add("the sha256 of '" + ModelNames.printable(file.path()) + "' is "
                            + (file.sha256() == null ? "missing" : "not 64 hex digits: '" + ModelNames.printable(file.sha256()) + "'"));
                }
                if (file.size() < 0) {
                    problems.add("the size of '" + ModelNames.printable(file.path()) + "' is negative");
                }
            }
        }
        if (input == null || input.name() == null) {
            problems.add("no input tensor name");
        } else {
            if (input.dtype() != null && !INPUT_TYPES.contains(input.dtype())) {
                problems.add("input dtype is '" + input.dtype() + "'; the pipeline feeds " + INPUT_TYPES);
            }
            if (input.shape() != null && input.shape().size() != 2) {
                problems.add("input shape " + input.shape() + " is not [batch, features]");
            }
        }
        if (features == null || features.isEmpty()) {
            problems.add("no features");
        } else if (features.stream().distinct().count() != features.size()) {
            problems.add("features repeat a name");
        }
        if (outputs == null || outputs.get("probabilities") == null) {
            problems.add("outputs name no 'probabilities' tensor (regression models, which have none, are not supported)");
        }
        if (labels == null || labels.isEmpty()) {
            problems.add("no labels (class names)");
        } else if (labels.stream().distinct().count() != labels.size()) {
            problems.add("labels repeat a name");
        }
        if (!problems.isEmpty()) {
            throw invalid(String.join("; ", problems));
        }
        return this;
    }

    private static void addIfPresent(List<String> problems, String problem) {
        if (problem != null) {
            problems.add(problem);
        }
    }

    private PipelineException invalid(String problem) {
        return new PipelineException(FailureReason.MODEL_INVALID,
                "model manifest of '" + ModelNames.printable(String.valueOf(name)) + "' version '"
                        + ModelNames.printable(String.valueOf(version)) + "': " + problem);
    }
}
