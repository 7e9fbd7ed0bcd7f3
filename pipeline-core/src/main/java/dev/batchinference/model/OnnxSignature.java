package dev.batchinference.model;

import static dev.batchinference.model.ProtobufWire.LENGTH_DELIMITED;
import static dev.batchinference.model.ProtobufWire.VARINT;
import static dev.batchinference.model.ProtobufWire.tag;

import dev.batchinference.failure.FailureReason;
import dev.batchinference.failure.PipelineException;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The inputs and outputs an ONNX file declares, read from its protobuf encoding without ONNX Runtime, which
 * ingest does not load: enough to refuse a model the pipeline cannot feed or read before any chunk runs.
 *
 * <p>Only the fields of {@code onnx.proto} it needs are read (ModelProto.graph; GraphProto's input, output
 * and the names of its initializers; a ValueInfoProto's name and tensor type); everything else is
 * skipped as it streams past (read, not seeked over, so a digest of the stream sees every byte), and a file
 * of any size is read in constant memory. The wire format is {@link ProtobufWire}'s.
 */
public record OnnxSignature(List<Tensor> inputs, List<Tensor> outputs) {
    /** ONNX's TensorProto.DataType numbers the pipeline names. */
    public static final int FLOAT = 1;
    public static final int INT64 = 7;
    public static final int DOUBLE = 11;

    /**
     * One declared input or output: its name, element type (0 when it is not a tensor: a sequence or a map)
     * and shape, with -1 for a dimension that is symbolic or unknown; {@code shape} is null when none is declared.
     */
    public record Tensor(String name, int elementType, long[] shape) {
        public boolean isTensor() {
            return elementType != 0;
        }

        public String typeName() {
            return OnnxSignature.typeName(elementType);
        }

        /** The shape as ONNX tools print it, {@code [batch, 4]}. */
        public String shapeText() {
            if (shape == null) {
                return "unknown";
            }
            return Arrays.stream(shape).mapToObj(d -> d < 0 ? "?" : Long.toString(d)).toList().toString();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Tensor t && name.equals(t.name) && elementType == t.elementType
                    && Arrays.equals(shape, t.shape);
        }

        @Override
        public int hashCode() {
            return name.hashCode() * 31 + Arrays.hashCode(shape);
        }

        @Override
        public String toString() {
            return name + " " + typeName() + " " + shapeText();
        }
    }

    /** The element type's name as ONNX spells it in lower case ({@code float}, {@code double}, {@code int64}). */
    public static String typeName(int elementType) {
        return switch (elementType) {
            case 0 -> "not a tensor";
            case FLOAT -> "float";
            case 2 -> "uint8";
            case 3 -> "int8";
            case 4 -> "uint16";
            case 5 -> "int16";
            case 6 -> "int32";
            case INT64 -> "int64";
            case 8 -> "string";
            case 9 -> "bool";
            case 10 -> "float16";
            case DOUBLE -> "double";
            case 12 -> "uint32";
            case 13 -> "uint64";
            case 16 -> "bfloat16";
            default -> "element type " + elementType;
        };
    }

    /** The bytes are not an ONNX model: not protobuf, or no graph in it. */
    public static final class NotOnnxException extends IOException {
        NotOnnxException(String message) {
            super(message);
        }
    }

    /**
     * Reads the signature from an ONNX file's bytes, to their end. Throws {@link NotOnnxException} when the
     * bytes are not a protobuf message holding a graph.
     */
    public static OnnxSignature read(InputStream onnx) throws IOException {
        ProtobufWire in = new ProtobufWire(onnx);
        List<Tensor> inputs = new ArrayList<>();
        List<Tensor> outputs = new ArrayList<>();
        Set<String> initializers = new HashSet<>();
        boolean graph = false;
        for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
            if (tag == tag(7, LENGTH_DELIMITED)) {
                long outer = in.pushLimit();
                readGraph(in, inputs, outputs, initializers);
                in.popLimit(outer);
                graph = true;
            } else {
                in.skipField(tag);
            }
        }
        if (!graph) {
            throw new NotOnnxException("no graph (an ONNX ModelProto holds one as field 7)");
        }
        // before IR version 4 an initializer was listed among the inputs too: it is a weight, not something fed
        return new OnnxSignature(inputs.stream().filter(t -> !initializers.contains(t.name())).toList(), List.copyOf(outputs));
    }

    /** The inputs and outputs a local ONNX file declares; MODEL_INVALID if it is not an ONNX model. */
    public static OnnxSignature of(Path onnxFile) {
        try (InputStream in = new BufferedInputStream(Files.newInputStream(onnxFile), 1 << 16)) {
            return read(in);
        } catch (NotOnnxException e) {
            throw new PipelineException(FailureReason.MODEL_INVALID, onnxFile + " is not an ONNX model (" + e.getMessage() + ")");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void readGraph(ProtobufWire in, List<Tensor> inputs, List<Tensor> outputs, Set<String> initializers)
            throws IOException {
        for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
            int field = tag >>> 3;
            if ((tag & 7) != LENGTH_DELIMITED || (field != 5 && field != 11 && field != 12)) {
                in.skipField(tag);
                continue;
            }
            long outer = in.pushLimit();
            if (field == 5) {
                String name = tensorProtoName(in);
                if (name != null) {
                    initializers.add(name);
                }
            } else {
                (field == 11 ? inputs : outputs).add(valueInfo(in));
            }
            in.popLimit(outer);
        }
    }

    /** TensorProto.name is field 8; its data (often most of the file) is skipped. */
    private static String tensorProtoName(ProtobufWire in) throws IOException {
        String name = null;
        for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
            if (tag == tag(8, LENGTH_DELIMITED)) {
                name = in.readString();
            } else {
                in.skipField(tag);
            }
        }
        return name;
    }

    /** ValueInfoProto: name (1), type (2: TypeProto, whose field 1 is a tensor type). */
    private static Tensor valueInfo(ProtobufWire in) throws IOException {
        String name = "";
        int elementType = 0;
        long[] shape = null;
        for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
            if (tag == tag(1, LENGTH_DELIMITED)) {
                name = in.readString();
            } else if (tag == tag(2, LENGTH_DELIMITED)) {
                long typeOuter = in.pushLimit();
                for (int t = in.readTag(); t != 0; t = in.readTag()) {
                    if (t == tag(1, LENGTH_DELIMITED)) {
                        long tensorOuter = in.pushLimit();
                        long[][] shapeOut = {null};
                        elementType = tensorType(in, shapeOut);
                        shape = shapeOut[0];
                        in.popLimit(tensorOuter);
                    } else {
                        in.skipField(t); // a sequence, map or optional type: not a tensor
                    }
                }
                in.popLimit(typeOuter);
            } else {
                in.skipField(tag);
            }
        }
        return new Tensor(name, elementType, shape);
    }

    /** TypeProto.Tensor: elem_type (1), shape (2: TensorShapeProto of dims, each dim_value (1) or dim_param (2)). */
    private static int tensorType(ProtobufWire in, long[][] shapeOut) throws IOException {
        int elementType = 0;
        for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
            if (tag == tag(1, VARINT)) {
                elementType = (int) in.readVarint();
            } else if (tag == tag(2, LENGTH_DELIMITED)) {
                long shapeOuter = in.pushLimit();
                List<Long> dims = new ArrayList<>();
                for (int t = in.readTag(); t != 0; t = in.readTag()) {
                    if (t == tag(1, LENGTH_DELIMITED)) {
                        long dimOuter = in.pushLimit();
                        long value = -1;
                        for (int d = in.readTag(); d != 0; d = in.readTag()) {
                            if (d == tag(1, VARINT)) {
                                value = in.readVarint();
                            } else {
                                in.skipField(d);
                            }
                        }
                        dims.add(value > 0 ? value : -1);
                        in.popLimit(dimOuter);
                    } else {
                        in.skipField(t);
                    }
                }
                shapeOut[0] = dims.stream().mapToLong(Long::longValue).toArray();
                in.popLimit(shapeOuter);
            } else {
                in.skipField(tag);
            }
        }
        return elementType == 0 ? -1 : elementType;
    }

    /** The declared output of this name, or null. */
    public Tensor output(String name) {
        return outputs.stream().filter(t -> t.name().equals(name)).findFirst().orElse(null);
    }

    /** MODEL_INVALID naming {@code what} and every way this graph disagrees with {@code manifest}, if it does. */
    public void requireUsableWith(ModelManifest manifest, String what) {
        List<String> problems = problemsWith(manifest);
        if (!problems.isEmpty()) {
            throw new PipelineException(FailureReason.MODEL_INVALID, what + ": " + String.join("; ", problems));
        }
    }

    /**
     * What keeps the pipeline from using this graph with {@code manifest}, one phrase each; empty when nothing
     * does. The same checks run when a model is published and when a job that uses it is planned.
     */
    public List<String> problemsWith(ModelManifest manifest) {
        List<String> problems = new ArrayList<>();
        if (inputs.size() != 1) {
            problems.add("the graph has " + inputs.size() + " inputs " + inputs.stream().map(Tensor::name).toList()
                    + "; the pipeline feeds one [batch, features] tensor");
        } else {
            Tensor input = inputs.get(0);
            if (!input.name().equals(manifest.input().name())) {
                problems.add("the graph's input is '" + input.name() + "', the manifest names '" + manifest.input().name() + "'");
            }
            if (input.elementType() != FLOAT && input.elementType() != DOUBLE) {
                problems.add("input '" + input.name() + "' is " + input.typeName() + "; the pipeline feeds float or double");
            } else if (manifest.input().dtype() != null
                    && !manifest.input().dtype().equals(input.elementType() == FLOAT ? "float32" : "float64")) {
                problems.add("input '" + input.name() + "' is " + input.typeName() + " but the manifest says "
                        + manifest.input().dtype());
            }
            if (input.shape() == null || input.shape().length != 2) {
                problems.add("input '" + input.name() + "' has shape " + input.shapeText() + ", not [batch, features]");
            } else if (input.shape()[1] > 0 && input.shape()[1] != manifest.features().size()) {
                problems.add("the graph takes " + input.shape()[1] + " features but the manifest lists "
                        + manifest.features().size());
            }
        }
        String probabilitiesName = manifest.probabilitiesOutput();
        Tensor probabilities = output(probabilitiesName);
        if (probabilities == null) {
            problems.add("the graph has no output '" + probabilitiesName + "' (it has "
                    + outputs.stream().map(Tensor::name).toList() + ")");
        } else if (probabilities.elementType() != FLOAT && probabilities.elementType() != DOUBLE) {
            problems.add("output '" + probabilitiesName + "' is " + probabilities.typeName()
                    + "; probabilities must be float or double");
        } else if (probabilities.shape() != null && probabilities.shape().length != 2) {
            problems.add("output '" + probabilitiesName + "' has shape " + probabilities.shapeText()
                    + ", not [batch, classes]");
        } else if (probabilities.shape() != null && probabilities.shape()[1] == 1) {
            problems.add("output '" + probabilitiesName + "' has one value per row: a regression model's, which the"
                    + " pipeline does not support (a classifier gives a probability per class)");
        } else if (probabilities.shape() != null && probabilities.shape()[1] > 0
                && probabilities.shape()[1] != manifest.labels().size()) {
            problems.add("output '" + probabilitiesName + "' gives " + probabilities.shape()[1]
                    + " class probabilities but the manifest has " + manifest.labels().size() + " labels");
        }
        String labelName = manifest.labelOutput();
        if (labelName != null) {
            Tensor label = output(labelName);
            if (label == null) {
                problems.add("the graph has no output '" + labelName + "' (it has "
                        + outputs.stream().map(Tensor::name).toList() + ")");
            } else if (label.elementType() != INT64 || (label.shape() != null && label.shape().length != 1)) {
                problems.add("output '" + labelName + "' is " + label.typeName() + " " + label.shapeText()
                        + "; a label output must be int64 [batch] (class indices)");
            }
        }
        return problems;
    }
}
