package dev.batchinference.job;

/**
 * What a worker did with one chunk: row counts and where its time went. The phases are summed over the
 * threads that did them; {@code modelLoadMs} is what fetching and loading the model cost this chunk (0 when
 * the process had it already) and {@code totalMs} the chunk's wall time, from task to part written.
 * {@code requests} are the worker's S3 and SQS requests for the chunk, the message carrying them included;
 * {@code writerRequests}, set by the results writer in the chunk's done marker, the writer's requests for the job
 * that no earlier marker carried (null in records from before requests were counted).
 */
public record ChunkResult(int chunk, long rowsIn, long rowsOut, long rowsRejected,
                          long parseMs, long inferMs, long writeMs, long modelLoadMs, long totalMs,
                          Requests requests, Requests writerRequests) {

    public ChunkResult(int chunk, long rowsIn, long rowsOut, long rowsRejected, long parseMs, long inferMs, long writeMs,
                       long modelLoadMs, long totalMs) {
        this(chunk, rowsIn, rowsOut, rowsRejected, parseMs, inferMs, writeMs, modelLoadMs, totalMs, null, null);
    }

    public ChunkResult(int chunk, long rowsIn, long rowsOut, long rowsRejected, long parseMs, long inferMs, long writeMs) {
        this(chunk, rowsIn, rowsOut, rowsRejected, parseMs, inferMs, writeMs, 0, 0);
    }

    public ChunkResult withRequests(Requests worker) {
        return new ChunkResult(chunk, rowsIn, rowsOut, rowsRejected, parseMs, inferMs, writeMs, modelLoadMs, totalMs,
                worker, writerRequests);
    }

    public ChunkResult withWriterRequests(Requests writer) {
        return new ChunkResult(chunk, rowsIn, rowsOut, rowsRejected, parseMs, inferMs, writeMs, modelLoadMs, totalMs,
                requests, writer);
    }
}
