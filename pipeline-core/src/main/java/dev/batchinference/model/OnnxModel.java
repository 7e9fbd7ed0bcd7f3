package dev.batchinference.model;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import dev.batchinference.failure.FailureReason;
import dev.batchinference.failure.PipelineException;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;

/**
 * An ONNX Runtime session for one model version, checked against its manifest when loaded. The input may be
 * float or double (features are parsed as floats and widened for a double input); probabilities may be
 * float or double (narrowed to floats, as the outputs hold them). Runs on one intra-op thread: on small tabular models parsing is the bottleneck, and the other
 * cores are better spent there (measured, see FINDINGS.md).
 */
public final class OnnxModel implements AutoCloseable {
    private final OrtEnvironment env = OnnxEnvironment.get();
    private final ModelManifest manifest;
    private final OrtSession session;
    private final int featureCount;
    private final int classCount;
    private final String labelOutput;
    private final Set<String> requestedOutputs;
    /** the input is double: each batch is widened into a buffer of the calling thread's first */
    private final ThreadLocal<java.nio.DoubleBuffer> widened = new ThreadLocal<>();
    private boolean doubleInput;

    /** Class probabilities of a batch, row-major {@code [rows][classes]}, and each row's class index. */
    public record Prediction(int rows, int classes, float[] probabilities, int[] labels) {
    }

    /** Loads a local file as it is (for offline use: callers that need it verified check its sha256 first). */
    public static OnnxModel load(Path onnxFile, ModelManifest manifest) {
        try {
            return new OnnxModel(java.nio.file.Files.readAllBytes(onnxFile), manifest);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** Loads a model from the bytes that were verified ({@link ModelStore#loadVerified}). */
    public static OnnxModel load(byte[] onnx, ModelManifest manifest) {
        return new OnnxModel(onnx, manifest);
    }

    private OnnxModel(byte[] onnx, ModelManifest manifest) {
        this.manifest = manifest;
        this.featureCount = manifest.features().size();
        this.classCount = manifest.labels().size();
        this.labelOutput = manifest.labelOutput();
        this.requestedOutputs = labelOutput == null ? Set.of(manifest.probabilitiesOutput())
                : Set.of(manifest.probabilitiesOutput(), labelOutput);
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            options.setIntraOpNumThreads(1);
            options.setInterOpNumThreads(1);
            options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            this.session = env.createSession(onnx, options);
        } catch (OrtException e) {
            throw invalid("ONNX Runtime cannot load it: " + e.getMessage());
        }
        try {
            checkAgainstManifest();
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    private void checkAgainstManifest() {
        try {
            Map<String, NodeInfo> inputs = session.getInputInfo();
            NodeInfo input = inputs.get(manifest.input().name());
            if (input == null) {
                throw invalid("the graph has no input '" + manifest.input().name() + "' (it has " + inputs.keySet() + ")");
            }
            if (!(input.getInfo() instanceof TensorInfo tensor)) {
                throw invalid("input '" + input.getName() + "' is not a tensor");
            }
            if (tensor.type != ai.onnxruntime.OnnxJavaType.FLOAT && tensor.type != ai.onnxruntime.OnnxJavaType.DOUBLE) {
                throw invalid("input '" + input.getName() + "' is " + tensor.type + "; the pipeline feeds float or double");
            }
            doubleInput = tensor.type == ai.onnxruntime.OnnxJavaType.DOUBLE;
            {
                long[] shape = tensor.getShape();
                if (shape.length != 2) {
                    throw invalid("input '" + input.getName() + "' has rank " + shape.length + ", expected [batch, features]");
                }
                if (shape[1] > 0 && shape[1] != featureCount) {
                    throw invalid("the graph takes " + shape[1] + " features but the manifest lists " + featureCount);
                }
            }
            Set<String> outputs = session.getOutputNames();
            for (String name : requestedOutputs) {
                if (!outputs.contains(name)) {
                    throw invalid("the graph has no output '" + name + "' (it has " + outputs + ")");
                }
            }
            NodeInfo probabilities = session.getOutputInfo().get(manifest.probabilitiesOutput());
            if (!(probabilities.getInfo() instanceof TensorInfo probs) || (probs.type != ai.onnxruntime.OnnxJavaType.FLOAT
                    && probs.type != ai.onnxruntime.OnnxJavaType.DOUBLE)) {
                throw invalid("output '" + probabilities.getName() + "' is " + probabilities.getInfo()
                        + "; probabilities must be a float or double tensor");
            }
        } catch (OrtException e) {
            throw invalid("ONNX Runtime cannot describe it: " + e.getMessage());
        }
    }

    public ModelManifest manifest() {
        return manifest;
    }

    public int featureCount() {
        return featureCount;
    }

    /** Predicts {@code rows} rows from a buffer holding {@code rows × featureCount} floats from position 0. */
    public Prediction predict(FloatBuffer features, int rows) {
        FloatBuffer batch = features.duplicate().position(0).limit(rows * featureCount);
        try (OnnxTensor tensor = doubleInput ? OnnxTensor.createTensor(env, widen(batch), new long[] {rows, featureCount})
                : OnnxTensor.createTensor(env, batch, new long[] {rows, featureCount});
             OrtSession.Result result = session.run(Map.of(manifest.input().name(), tensor), requestedOutputs)) {
            OnnxValue value = result.get(manifest.probabilitiesOutput()).orElseThrow();
            if (!(value instanceof OnnxTensor probs)) {
                throw invalid("output '" + manifest.probabilitiesOutput() + "' is not a tensor");
            }
            long[] shape = probs.getInfo().getShape();
            if (shape.length != 2 || shape[0] != rows || shape[1] != classCount) {
                throw invalid("output '" + manifest.probabilitiesOutput() + "' has shape "
                        + java.util.Arrays.toString(shape) + ", expected [" + rows + ", " + classCount + "] ("
                        + classCount + " labels in the manifest)");
            }
            float[] flat = new float[rows * classCount];
            if (probs.getInfo().type == ai.onnxruntime.OnnxJavaType.DOUBLE) {
                java.nio.DoubleBuffer doubles = probs.getDoubleBuffer();
                for (int i = 0; i < flat.length; i++) {
                    flat[i] = (float) doubles.get(i);
                }
            } else if (probs.getInfo().type == ai.onnxruntime.OnnxJavaType.FLOAT) {
                probs.getFloatBuffer().get(flat);
            } else {
                throw invalid("output '" + manifest.probabilitiesOutput() + "' is " + probs.getInfo().type
                        + "; probabilities must be float or double");
            }
            return new Prediction(rows, classCount, flat, labelOutput == null
                    ? argMax(flat, rows, classCount)
                    : labels(result.get(labelOutput).orElseThrow(), rows));
        } catch (OrtException e) {
            throw invalid("inference failed: " + e.getMessage());
        }
    }

    /** The batch as doubles, for a graph whose input is double: exactly the floats parsed, widened. */
    private java.nio.DoubleBuffer widen(FloatBuffer batch) {
        int n = batch.remaining();
        java.nio.DoubleBuffer buffer = widened.get();
        if (buffer == null || buffer.capacity() < n) {
            buffer = java.nio.ByteBuffer.allocateDirect(n * Double.BYTES).order(java.nio.ByteOrder.nativeOrder()).asDoubleBuffer();
            widened.set(buffer);
        }
        java.nio.DoubleBuffer out = buffer.duplicate().clear();
        for (int i = 0; i < n; i++) {
            out.put(batch.get(batch.position() + i));
        }
        return out.flip();
    }

    private int[] labels(OnnxValue value, int rows) {
        if (!(value instanceof OnnxTensor tensor) || tensor.getInfo().type != ai.onnxruntime.OnnxJavaType.INT64
                || tensor.getInfo().getShape().length != 1 || tensor.getInfo().getShape()[0] != rows) {
            throw invalid("output '" + labelOutput + "' is not an int64 tensor of shape [" + rows + "]");
        }
        java.nio.LongBuffer buffer = tensor.getLongBuffer();
        int[] labels = new int[rows];
        for (int r = 0; r < rows; r++) {
            long index = buffer.get(r);
            if (index < 0 || index >= classCount) {
                throw invalid("output '" + labelOutput + "' gave class index " + index + ", but the manifest has "
                        + classCount + " labels");
            }
            labels[r] = (int) index;
        }
        return labels;
    }

    // without a label output, the label is the most probable class; computing it here needs no second output from the graph
    private static int[] argMax(float[] probabilities, int rows, int classes) {
        int[] labels = new int[rows];
        for (int r = 0; r < rows; r++) {
            int best = 0;
            int base = r * classes;
            for (int c = 1; c < classes; c++) {
                if (probabilities[base + c] > probabilities[base + best]) {
                    best = c;
                }
            }
            labels[r] = best;
        }
        return labels;
    }

    private PipelineException invalid(String problem) {
        return new PipelineException(FailureReason.MODEL_INVALID,
                "model '" + manifest.name() + "' version '" + manifest.version() + "': " + problem);
    }

    @Override
    public void close() {
        try {
            session.close();
        } catch (OrtException e) {
            throw new IllegalStateException(e);
        }
    }
}
