package dev.batchinference.job;

/** One chunk of an input: the bytes {@code [startByte, endByte)}, which begin and end on record boundaries. */
public record ChunkRange(int index, long startByte, long endByte) {
    public long length() {
        return endByte - startByte;
    }
}
