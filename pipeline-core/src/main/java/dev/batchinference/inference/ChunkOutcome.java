package dev.batchinference.inference;

import dev.batchinference.failure.FailureReason;
import dev.batchinference.job.ChunkResult;

/**
 * What became of one chunk task: predicted (with its result), skipped as a duplicate, or failed for
 * good (with the reason the job will end with). Failures worth retrying are thrown instead.
 */
public record ChunkOutcome(String jobId, int chunk, Status status, ChunkResult result, FailureReason reason) {

    public enum Status { PREDICTED, DUPLICATE, FAILED }

    static ChunkOutcome predicted(String jobId, ChunkResult result) {
        return new ChunkOutcome(jobId, result.chunk(), Status.PREDICTED, result, null);
    }

    static ChunkOutcome duplicate(String jobId, int chunk) {
        return new ChunkOutcome(jobId, chunk, Status.DUPLICATE, null, null);
    }

    static ChunkOutcome failed(String jobId, int chunk, FailureReason reason) {
        return new ChunkOutcome(jobId, chunk, Status.FAILED, null, reason);
    }
}
