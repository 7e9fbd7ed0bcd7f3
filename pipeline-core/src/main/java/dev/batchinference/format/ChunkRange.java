package dev.batchinference.format;

/**
 * One chunk of an input: the bytes {@code [startByte, endByte)} of the input, beginning and ending on
 * record boundaries (CSV) or row groups (Parquet); or, when {@code source} is set, the whole of an
 * object that ingest staged for it (chunks of a gzip'd file). {@code rows} is how many rows the planner
 * counted in it (CSV records, blank lines not counted; Parquet row groups' row counts): the results writer
 * holds the workers to it. Null in plans written before planners counted, whose chunks are not checked.
 */
public record ChunkRange(int index, long startByte, long endByte, String source, Long rows) {

    public ChunkRange(int index, long startByte, long endByte, long rows) {
        this(index, startByte, endByte, null, rows);
    }

    public long length() {
        return endByte - startByte;
    }

    /** Where the chunk is, for a person: its byte range of the input, or the staged object. */
    public String describe() {
        return "chunk " + index + (source != null ? " (staged as " + source + ", " + endByte + " bytes)"
                : " (bytes " + startByte + "-" + endByte + ")");
    }
}
