package dev.batchinference.job;

/** What a worker did with one chunk: row counts and where its time went. */
public record ChunkResult(int chunk, long rowsIn, long rowsOut, long rowsRejected,
                          long parseMs, long inferMs, long writeMs) {
}
