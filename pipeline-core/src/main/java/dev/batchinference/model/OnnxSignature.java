package dev.batchinference.model;

import java.io.IOException;
import java.io.InputStream;
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
 * of any size is read in constant memory. Written by hand against protobuf's wire format ({@link Wire}):
 * ONNX publishes no Java bindings, and protobuf-java, whose reader would do, adds about 5 MB to every
 * function's package (ingest's is within its budget only without it) for five field numbers.
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
        Wire in = new Wire(onnx);
        List<Tensor> inputs = new ArrayList<>();
        List<Tensor> outputs = new ArrayList<>();
        Set<String> initializers = new HashSet<>();
        boolean graph = false;
        for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
            if (tag == tag(7, Wire.LENGTH_DELIMITED)) {
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

    private static void readGraph(Wire in, List<Tensor> inputs, List<Tensor> outputs, Set<String> initializers)
            throws IOException {
        for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
            int field = tag >>> 3;
            if ((tag & 7) != Wire.LENGTH_DELIMITED || (field != 5 && field != 11 && field != 12)) {
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
    private static String tensorProtoName(Wire in) throws IOException {
        String name = null;
        for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
            if (tag == tag(8, Wire.LENGTH_DELIMITED)) {
                name = in.readString();
            } else {
                in.skipField(tag);
            }
        }
        return name;
    }

    /** ValueInfoProto: name (1), type (2: TypeProto, whose field 1 is a tensor type). */
    private static Tensor valueInfo(Wire in) throws IOException {
        String name = "";
        int elementType = 0;
        long[] shape = null;
        for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
            if (tag == tag(1, Wire.LENGTH_DELIMITED)) {
                name = in.readString();
            } else if (tag == tag(2, Wire.LENGTH_DELIMITED)) {
                long typeOuter = in.pushLimit();
                for (int t = in.readTag(); t != 0; t = in.readTag()) {
                    if (t == tag(1, Wire.LENGTH_DELIMITED)) {
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
    private static int tensorType(Wire in, long[][] shapeOut) throws IOException {
        int elementType = 0;
        for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
            if (tag == tag(1, Wire.VARINT)) {
                elementType = (int) in.readVarint();
            } else if (tag == tag(2, Wire.LENGTH_DELIMITED)) {
                long shapeOuter = in.pushLimit();
                List<Long> dims = new ArrayList<>();
                for (int t = in.readTag(); t != 0; t = in.readTag()) {
                    if (t == tag(1, Wire.LENGTH_DELIMITED)) {
                        long dimOuter = in.pushLimit();
                        long value = -1;
                        for (int d = in.readTag(); d != 0; d = in.readTag()) {
                            if (d == tag(1, Wire.VARINT)) {
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

    /**
     * Protobuf's wire format, as much as reading a message needs: tags, varints, length-delimited fields
     * read within a limit, and every other field read past.
     */
    private static final class Wire {
        static final int VARINT = 0;
        static final int FIXED64 = 1;
        static final int LENGTH_DELIMITED = 2;
        static final int FIXED32 = 5;

        private final InputStream in;
        private final byte[] scratch = new byte[8192];
        private long position;
        private long limit = Long.MAX_VALUE;

        Wire(InputStream in) {
            this.in = in;
        }

        /** The next field's tag, or 0 at the end of the current message (its limit, or the end of the stream). */
        int readTag() throws IOException {
            if (position >= limit) {
                return 0;
            }
            int first = in.read();
            if (first < 0) {
                if (limit != Long.MAX_VALUE) {
                    throw new NotOnnxException("truncated: a message ends before its length");
                }
                return 0;
            }
            position++;
            long tag = continueVarint(first);
            if (tag >>> 3 == 0 || tag > Integer.MAX_VALUE) {
                throw new NotOnnxException("not protobuf: a field numbered 0 at byte " + position);
            }
            return (int) tag;
        }

        long readVarint() throws IOException {
            return continueVarint(readByte());
        }

        private long continueVarint(int first) throws IOException {
            long value = first & 0x7f;
            int b = first;
            for (int shift = 7; (b & 0x80) != 0; shift += 7) {
                if (shift > 63) {
                    throw new NotOnnxException("not protobuf: a varint longer than ten bytes at byte " + position);
                }
                b = readByte();
                value |= (long) (b & 0x7f) << shift;
            }
            return value;
        }

        private int readByte() throws IOException {
            if (position >= limit) {
                throw new NotOnnxException("truncated: a field runs past its message");
            }
            int b = in.read();
            if (b < 0) {
                throw new NotOnnxException("truncated at byte " + position);
            }
            position++;
            return b;
        }

        /** Reads a length and makes the field it prefixes the current message; returns the limit to restore. */
        long pushLimit() throws IOException {
            long length = readVarint();
            if (length < 0 || length > limit - position) {
                throw new NotOnnxException("not protobuf: a field of " + length + " bytes runs past its message");
            }
            long outer = limit;
            limit = position + length;
            return outer;
        }

        /** Reads what is left of the current message and restores the outer one's limit. */
        void popLimit(long outer) throws IOException {
            skip(limit - position);
            limit = outer;
        }

        String readString() throws IOException {
            long length = readVarint();
            if (length < 0 || length > limit - position || length > 1 << 20) {
                throw new NotOnnxException("not protobuf: a name of " + length + " bytes");
            }
            byte[] bytes = in.readNBytes((int) length);
            if (bytes.length != length) {
                throw new NotOnnxException("truncated at byte " + position);
            }
            position += length;
            return new String(bytes, java.nio.charset.StandardCharsets.UTF_8);
        }

        void skipField(int tag) throws IOException {
            switch (tag & 7) {
                case VARINT -> readVarint();
                case FIXED64 -> skip(8);
                case FIXED32 -> skip(4);
                case LENGTH_DELIMITED -> {
                    long length = readVarint();
                    if (length < 0 || length > limit - position) {
                        throw new NotOnnxException("not protobuf: a field of " + length + " bytes runs past its message");
                    }
                    skip(length);
                }
                default -> throw new NotOnnxException("not protobuf: wire type " + (tag & 7) + " at byte " + position);
            }
        }

        /** Reads past {@code n} bytes (read rather than skipped, so that a digest of the stream sees them). */
        private void skip(long n) throws IOException {
            while (n > 0) {
                int read = in.read(scratch, 0, (int) Math.min(scratch.length, n));
                if (read < 0) {
                    throw new NotOnnxException("truncated at byte " + position);
                }
                position += read;
                n -= read;
            }
        }
    }

    /** A field's tag as it is encoded: its number and wire type (protobuf's own helper is not public). */
    private static int tag(int field, int wireType) {
        return field << 3 | wireType;
    }

    /** The declared output of this name, or null. */
    public Tensor output(String name) {
        return outputs.stream().filter(t -> t.name().equals(name)).findFirst().orElse(null);
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
