package dev.batchinference.format;

/** A reusable byte buffer and how much of it holds data: one block of a chunk's input, or its encoded output. */
public final class ByteBlock {
    private byte[] bytes;
    private int length;

    public ByteBlock(int capacity) {
        this.bytes = new byte[capacity];
    }

    public byte[] bytes() {
        return bytes;
    }

    public int length() {
        return length;
    }

    public void setLength(int length) {
        if (length < 0 || length > bytes.length) {
            throw new IllegalArgumentException("length " + length + " outside 0.." + bytes.length);
        }
        this.length = length;
    }

    /** Makes room for at least {@code capacity} bytes, keeping the data. */
    public void ensureCapacity(int capacity) {
        if (capacity > bytes.length) {
            bytes = java.util.Arrays.copyOf(bytes, Math.max(capacity, bytes.length * 2));
        }
    }
}
