package dev.batchinference.job;

import java.time.Instant;

/** The terminal record of a job, written to {@code output/.../<file>.summary.json} (a contract). */
public record JobSummary(
        String jobId,
        JobState state,
        FailureReason reason,
        String message,
        InputObject input,
        String model,
        String modelVersion,
        long rowsIn,
        long rowsOut,
        long rowsRejected,
        int chunks,
        String output,
        String errors,
        Instant createdAt,
        Instant finishedAt,
        long durationMs,
        Timings timings) {

    /** Worker time summed over chunks, per phase. */
    public record Timings(long parseMs, long inferMs, long writeMs, long collateMs) {
    }
}
