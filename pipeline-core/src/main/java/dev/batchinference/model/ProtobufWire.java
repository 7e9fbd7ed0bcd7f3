package dev.batchinference.model;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

/**
 * Protobuf's wire format, as much as reading a message needs: tags, varints, length-delimited fields read
 * within a limit, and every other field read past. Bytes that do not follow it end the read with
 * {@link OnnxSignature.NotOnnxException}, since what is read is an ONNX file.
 *
 * <p>Written by hand: ONNX publishes no Java bindings, and protobuf-java, whose reader would do, adds about
 * 5 MB to every function's package (ingest's is within its budget only without it) for five field numbers.
 */
final class ProtobufWire {
    static final int VARINT = 0;
    static final int FIXED64 = 1;
    static final int LENGTH_DELIMITED = 2;
    static final int FIXED32 = 5;

    private final InputStream in;
    private final byte[] scratch = new byte[8192];
    private long position;
    private long limit = Long.MAX_VALUE;

    ProtobufWire(InputStream in) {
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
                throw new OnnxSignature.NotOnnxException("truncated: a message ends before its length");
            }
            return 0;
        }
        position++;
        long tag = continueVarint(first);
        if (tag >>> 3 == 0 || tag > Integer.MAX_VALUE) {
            throw new OnnxSignature.NotOnnxException("not protobuf: a field numbered 0 at byte " + position);
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
                throw new OnnxSignature.NotOnnxException("not protobuf: a varint longer than ten bytes at byte " + position);
            }
            b = readByte();
            value |= (long) (b & 0x7f) << shift;
        }
        return value;
    }

    private int readByte() throws IOException {
        if (position >= limit) {
            throw new OnnxSignature.NotOnnxException("truncated: a field runs past its message");
        }
        int b = in.read();
        if (b < 0) {
            throw new OnnxSignature.NotOnnxException("truncated at byte " + position);
        }
        position++;
        return b;
    }

    /** Reads a length and makes the field it prefixes the current message; returns the limit to restore. */
    long pushLimit() throws IOException {
        long length = readVarint();
        if (length < 0 || length > limit - position) {
            throw new OnnxSignature.NotOnnxException("not protobuf: a field of " + length + " bytes runs past its message");
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
            throw new OnnxSignature.NotOnnxException("not protobuf: a name of " + length + " bytes");
        }
        byte[] bytes = in.readNBytes((int) length);
        if (bytes.length != length) {
            throw new OnnxSignature.NotOnnxException("truncated at byte " + position);
        }
        position += length;
        return new String(bytes, StandardCharsets.UTF_8);
    }

    void skipField(int tag) throws IOException {
        switch (tag & 7) {
            case VARINT -> readVarint();
            case FIXED64 -> skip(8);
            case FIXED32 -> skip(4);
            case LENGTH_DELIMITED -> {
                long length = readVarint();
                if (length < 0 || length > limit - position) {
                    throw new OnnxSignature.NotOnnxException("not protobuf: a field of " + length + " bytes runs past its message");
                }
                skip(length);
            }
            default -> throw new OnnxSignature.NotOnnxException("not protobuf: wire type " + (tag & 7) + " at byte " + position);
        }
    }

    /** Reads past {@code n} bytes (read rather than skipped, so that a digest of the stream sees them). */
    private void skip(long n) throws IOException {
        while (n > 0) {
            int read = in.read(scratch, 0, (int) Math.min(scratch.length, n));
            if (read < 0) {
                throw new OnnxSignature.NotOnnxException("truncated at byte " + position);
            }
            position += read;
            n -= read;
        }
    }

    /** A field's tag as it is encoded: its number and wire type (protobuf's own helper is not public). */
    static int tag(int field, int wireType) {
        return field << 3 | wireType;
    }
}
