package dev.batchinference.job;

import dev.batchinference.cost.JobCost;
import dev.batchinference.failure.FailureReason;
import java.time.Instant;
import java.util.List;

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
        Timings timings,
        Throughput throughput,
        List<UnaccountedChunk> unaccountedChunks,
        RequestsByFunction requests,
        JobCost cost,
        Integer outputParts) {

    /** A summary without request counts, as before they were counted. */
    public JobSummary(String jobId, JobState state, FailureReason reason, String message, InputObject input, String model,
                      String modelVersion, long rowsIn, long rowsOut, long rowsRejected, int chunks, String output,
                      String errors, Instant createdAt, Instant finishedAt, long durationMs, Timings timings,
                      Throughput throughput, List<UnaccountedChunk> unaccountedChunks) {
        this(jobId, state, reason, message, input, model, modelVersion, rowsIn, rowsOut, rowsRejected, chunks, output,
                errors, createdAt, finishedAt, durationMs, timings, throughput, unaccountedChunks, null, null, null);
    }

    public JobSummary withRequests(RequestsByFunction byFunction) {
        return new JobSummary(jobId, state, reason, message, input, model, modelVersion, rowsIn, rowsOut, rowsRejected,
                chunks, output, errors, createdAt, finishedAt, durationMs, timings, throughput, unaccountedChunks, byFunction,
                cost, outputParts);
    }

    public JobSummary withCost(JobCost estimate) {
        return new JobSummary(jobId, state, reason, message, input, model, modelVersion, rowsIn, rowsOut, rowsRejected,
                chunks, output, errors, createdAt, finishedAt, durationMs, timings, throughput, unaccountedChunks, requests,
                estimate, outputParts);
    }

    public JobSummary withUnaccounted(List<UnaccountedChunk> chunksUnaccounted) {
        return new JobSummary(jobId, state, reason, message, input, model, modelVersion, rowsIn, rowsOut, rowsRejected,
                chunks, output, errors, createdAt, finishedAt, durationMs, timings, throughput, chunksUnaccounted, requests,
                cost, outputParts);
    }

    /**
     * With the predictions written as {@code parts} part objects, {@code output} then naming their manifest; null:
     * one object.
     */
    public JobSummary withOutputParts(Integer parts) {
        return new JobSummary(jobId, state, reason, message, input, model, modelVersion, rowsIn, rowsOut, rowsRejected,
                chunks, output, errors, createdAt, finishedAt, durationMs, timings, throughput, unaccountedChunks, requests,
                cost, parts);
    }

    /**
     * The S3 and SQS requests each function made for the job, by operation: ingest's planning and dispatch, the
     * workers' for the chunks they recorded, the writer's for recording chunks and ending the job. Requests of work
     * that left no record (a duplicate task skipped, an attempt that failed, the last results of a writer environment
     * other than the one that ended the job) are not in them, nor are the queue event sources' receives and deletes.
     */
    public record RequestsByFunction(Requests ingestTrigger, Requests batchWorker, Requests resultsWriter) {
    }

    /**
     * A chunk whose rows do not add up (a job that ended {@code ROWS_UNACCOUNTED}): where it is, the rows the
     * planner counted in it (null for a plan written before planners counted), and the rows its worker read,
     * predicted and rejected.
     */
    public record UnaccountedChunk(int chunk, long startByte, long endByte, String source, Long rowsPlanned,
                                   long rowsRead, long rowsPredicted, long rowsRejected) {
    }

    /**
     * Where the time went. Worker time per phase summed over chunks (and over the threads of a chunk, so
     * it can exceed the wall time); {@code modelLoadMs} summed over the chunks that loaded the model;
     * {@code chunkMs} the chunks' wall times summed; {@code collateMs} the writer's collation.
     */
    public record Timings(long parseMs, long inferMs, long writeMs, long collateMs, long modelLoadMs, long chunkMs) {
    }

    /**
     * Rows per second: {@code job} over the job's whole duration (ingest to summary), {@code perChunk} over
     * the chunks' summed wall time, the rate one worker reached on average.
     */
    public record Throughput(double job, double perChunk) {
        public static Throughput of(long rowsIn, long durationMs, long chunkMs) {
            return new Throughput(perSecond(rowsIn, durationMs), perSecond(rowsIn, chunkMs));
        }

        private static double perSecond(long rows, long millis) {
            return millis <= 0 ? 0 : Math.round(rows * 1000.0 / millis);
        }
    }
}
