package dev.batchinference.job;

import dev.batchinference.format.ChunkRange;

/** The work queue's message: predict one chunk of one job. Details live in the job's plan. */
public record ChunkTask(String type, String jobId, ChunkRange chunk) {
    public static final String TYPE = "CHUNK_TASK";

    public static ChunkTask of(String jobId, ChunkRange chunk) {
        return new ChunkTask(TYPE, jobId, chunk);
    }
}
