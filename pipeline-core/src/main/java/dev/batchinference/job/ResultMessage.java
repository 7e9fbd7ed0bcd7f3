package dev.batchinference.job;

import dev.batchinference.failure.JobFailure;

/**
 * The results queue's message. {@code CHUNK_DONE} carries a {@link ChunkResult}; {@code CHUNK_FAILED}
 * (a worker met a permanent failure) and {@code JOB_REJECTED} (ingest could not plan the job) carry a
 * {@link JobFailure}, as does {@code JOB_STALLED} (a scheduled run gave up on a job that stopped making
 * progress). Dead-lettered {@link ChunkTask}s reach the writer too and are told apart by type.
 */
public record ResultMessage(String type, String jobId, Integer chunk, ChunkResult result, JobFailure failure) {
    public static final String CHUNK_DONE = "CHUNK_DONE";
    public static final String CHUNK_FAILED = "CHUNK_FAILED";
    public static final String JOB_REJECTED = "JOB_REJECTED";
    public static final String JOB_STALLED = "JOB_STALLED";

    public static ResultMessage chunkDone(String jobId, ChunkResult result) {
        return new ResultMessage(CHUNK_DONE, jobId, result.chunk(), result, null);
    }

    public static ResultMessage chunkFailed(String jobId, int chunk, JobFailure failure) {
        return new ResultMessage(CHUNK_FAILED, jobId, chunk, null, failure);
    }

    public static ResultMessage jobStalled(String jobId, JobFailure failure) {
        return new ResultMessage(JOB_STALLED, jobId, null, null, failure);
    }

    public static ResultMessage jobRejected(String jobId, JobFailure failure) {
        return new ResultMessage(JOB_REJECTED, jobId, null, null, failure);
    }
}
