package dev.batchinference.format;

/**
 * One chunk of an input: the bytes {@code [startByte, endByte)} of the input, beginning and ending on
 * record boundaries (CSV) or row groups (Parquet); or, when {@code source} is set, the whole of an
 * object that ingest staged for it (chunks of a gzip'd file).
 */
public record ChunkRange(int index, long startByte, long endByte, String source) {

    public ChunkRange(int index, long startByte, long endByte) {
        this(index, startByte, endByte, null);
    }

    public long length() {
        return endByte - startByte;
    }
}
