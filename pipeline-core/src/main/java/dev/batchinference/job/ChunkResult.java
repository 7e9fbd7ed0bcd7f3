package dev.batchinference.job;

/**
 * What a worker did with one chunk: row counts and where its time went. The phases are summed over the
 * threads that did them; {@code modelLoadMs} is what fetching and loading the model cost this chunk (0 when
 * the process had it already) and {@code totalMs} the chunk's wall time, from task to part written.
 */
public record ChunkResult(int chunk, long rowsIn, long rowsOut, long rowsRejected,
                          long parseMs, long inferMs, long writeMs, long modelLoadMs, long totalMs) {

    public ChunkResult(int chunk, long rowsIn, long rowsOut, long rowsRejected, long parseMs, long inferMs, long writeMs) {
        this(chunk, rowsIn, rowsOut, rowsRejected, parseMs, inferMs, writeMs, 0, 0);
    }
}
