package dev.batchinference.model;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import dev.batchinference.failure.FailureReason;
import dev.batchinference.failure.PipelineException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

/**
 * What a classifier's ONNX graph takes and gives, as ONNX Runtime reads it: the input tensor, its width and
 * element type, the float (or double) probabilities output and its class count, and an int64 label output if
 * there is one. Enough
 * to write the manifest of a bare model file.
 */
public record OnnxGraph(String inputName, long featureCount, String probabilitiesOutput, long classCount,
                        String labelOutput, String inputType) {

    public static OnnxGraph read(Path onnxFile) {
        OrtEnvironment env = OnnxEnvironment.get();
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions();
             OrtSession session = env.createSession(onnxFile.toString(), options)) {
            Map<String, NodeInfo> inputs = session.getInputInfo();
            if (inputs.size() != 1) {
                throw invalid(onnxFile, "it has " + inputs.size() + " inputs " + inputs.keySet()
                        + "; the pipeline feeds one [batch, features] float tensor");
            }
            NodeInfo input = inputs.values().iterator().next();
            long[] inShape = shapeOf(input);
            if (inShape.length != 2 || inShape[1] <= 0) {
                throw invalid(onnxFile, "input '" + input.getName() + "' is not [batch, features] with a fixed width");
            }
            OnnxJavaType inType = ((TensorInfo) input.getInfo()).type;
            if (inType != OnnxJavaType.FLOAT && inType != OnnxJavaType.DOUBLE) {
                throw invalid(onnxFile, "input '" + input.getName() + "' is " + inType + "; the pipeline feeds float or double");
            }
            String probabilities = null;
            long classes = 0;
            String label = null;
            for (NodeInfo output : session.getOutputInfo().values()) {
                if (!(output.getInfo() instanceof TensorInfo tensor)) {
                    continue; // a sequence of maps (a ZipMap): not what the pipeline reads
                }
                long[] shape = tensor.getShape();
                boolean real = tensor.type == OnnxJavaType.FLOAT || tensor.type == OnnxJavaType.DOUBLE;
                if (real && shape.length == 2 && shape[1] > 0 && probabilities == null) {
                    probabilities = output.getName();
                    classes = shape[1];
                } else if (tensor.type == OnnxJavaType.INT64 && shape.length == 1 && label == null) {
                    label = output.getName();
                }
            }
            if (probabilities == null) {
                throw invalid(onnxFile, "no output is a [batch, classes] float or double tensor of probabilities (outputs: "
                        + session.getOutputNames() + "; export classifiers with zipmap=False)");
            }
            if (classes == 1) {
                throw invalid(onnxFile, "output '" + probabilities + "' gives one value per row: a regression model's,"
                        + " which the pipeline does not support (a classifier gives a probability per class)");
            }
            return new OnnxGraph(input.getName(), inShape[1], probabilities, classes, label,
                    inType == OnnxJavaType.DOUBLE ? "float64" : "float32");
        } catch (OrtException e) {
            throw invalid(onnxFile, "ONNX Runtime cannot load it: " + e.getMessage());
        }
    }

    /**
     * The manifest for this graph's file. Features must be as many as the graph takes; labels, if given, as
     * many as it has classes, else the class indices.
     */
    public ModelManifest manifest(String name, String version, Path onnxFile, List<String> features,
                                  List<String> labels, Instant createdAt) {
        if (features == null || features.size() != featureCount) {
            throw new PipelineException(FailureReason.MODEL_INVALID, "the graph takes " + featureCount + " features; "
                    + (features == null || features.isEmpty() ? "name them in tensor order (--features a,b,...)"
                    : features.size() + " were named: " + features));
        }
        List<String> classNames = labels == null || labels.isEmpty()
                ? IntStream.range(0, (int) classCount).mapToObj(Integer::toString).toList() : labels;
        if (classNames.size() != classCount) {
            throw new PipelineException(FailureReason.MODEL_INVALID, "the graph gives " + classCount
                    + " class probabilities but " + classNames.size() + " labels were named: " + classNames);
        }
        long size;
        try {
            size = Files.size(onnxFile);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Map<String, String> outputs = labelOutput == null ? Map.of("probabilities", probabilitiesOutput)
                : Map.of("label", labelOutput, "probabilities", probabilitiesOutput);
        List<Object> shape = new ArrayList<>(List.of("batch", featureCount));
        return new ModelManifest(name, version, "onnxruntime",
                List.of(new ModelManifest.ModelFile(ModelManifest.MODEL_FILE, ModelFiles.sha256(onnxFile), size)),
                new ModelManifest.TensorSpec(inputName, shape, inputType), List.copyOf(features), outputs,
                List.copyOf(classNames), createdAt.toString()).validated();
    }

    private static long[] shapeOf(NodeInfo node) {
        return node.getInfo() instanceof TensorInfo tensor ? tensor.getShape() : new long[0];
    }

    private static PipelineException invalid(Path file, String problem) {
        return new PipelineException(FailureReason.MODEL_INVALID, file + " is not a model the pipeline can use: " + problem);
    }
}
