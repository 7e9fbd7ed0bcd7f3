package dev.batchinference.control;

import dev.batchinference.failure.FailureReason;
import dev.batchinference.job.ChunkResult;
import dev.batchinference.job.JobKeys;
import dev.batchinference.job.JobListing;
import dev.batchinference.job.JobPlan;
import dev.batchinference.job.JobState;
import dev.batchinference.job.JobStore;
import dev.batchinference.job.JobSummary;
import dev.batchinference.storage.ObjectStore;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * A job as a user asks after it: state, chunks done of all, rows so far, how long it has run, the model
 * version it pinned, and where its outputs are once it has ended ({@code outputParts}: the predictions were written
 * as that many part objects, and {@code output} names their manifest). Read from the bucket alone, so it works
 * the same against the local runtime and a deployed stack.
 */
public record JobStatus(
        String jobId,
        String input,
        String model,
        String modelVersion,
        JobState state,
        FailureReason reason,
        String message,
        int chunks,
        int chunksDone,
        long rowsIn,
        long rowsOut,
        long rowsRejected,
        Instant createdAt,
        Instant finishedAt,
        long elapsedMs,
        int redrives,
        String output,
        String errors,
        String summary,
        Integer outputParts) {

    /**
     * One job in detail; rows of a running job are summed from its finished chunks. {@code jobIdOrPrefix}
     * may be any unambiguous beginning of an id, as with git's commits.
     */
    public static Optional<JobStatus> read(ObjectStore store, String jobIdOrPrefix, Clock clock) {
        String prefix = JobKeys.JOBS + jobIdOrPrefix;
        List<JobListing> matches = JobListing.of(store.listObjects(prefix)).stream()
                .filter(l -> l.jobId().startsWith(jobIdOrPrefix)).toList();
        if (matches.size() > 1) {
            throw new IllegalArgumentException("'" + jobIdOrPrefix + "' names " + matches.size() + " jobs ("
                    + String.join(", ", matches.stream().map(JobListing::jobId).limit(5).toList()) + "): give more of the id");
        }
        return matches.stream().findFirst().flatMap(listing -> of(new JobStore(store), listing, true, clock));
    }

    /** The most recently planned jobs, newest first; rows only for jobs that have ended. */
    public static List<JobStatus> recent(ObjectStore store, int limit, Clock clock) {
        JobStore jobs = new JobStore(store);
        return JobListing.of(store.listObjects(JobKeys.JOBS)).stream()
                .sorted(Comparator.comparing(JobListing::plannedAt).reversed())
                .limit(limit)
                .flatMap(listing -> of(jobs, listing, false, clock).stream())
                .toList();
    }

    private static Optional<JobStatus> of(JobStore jobs, JobListing listing, boolean countRows, Clock clock) {
        Optional<JobPlan> read = jobs.plan(listing.jobId());
        if (read.isEmpty()) {
            return Optional.empty();
        }
        JobPlan plan = read.get();
        String version = plan.model() == null ? null : plan.model().version();
        Optional<JobSummary> end = listing.ended() ? jobs.terminal(listing.jobId()) : Optional.empty();
        if (end.isPresent()) {
            JobSummary s = end.get();
            return Optional.of(new JobStatus(s.jobId(), plan.input().key(), plan.input().modelName(), version, s.state(),
                    s.reason(), s.message(), plan.chunks().size(), listing.chunksDone(), s.rowsIn(), s.rowsOut(),
                    s.rowsRejected(), plan.createdAt(), s.finishedAt(), s.durationMs(), listing.redrives(), s.output(),
                    s.errors(), s.reason() == FailureReason.INPUT_CHANGED ? null : JobKeys.summary(plan.input().key()), s.outputParts()));
        }
        List<ChunkResult> done = countRows ? jobs.doneChunks(listing.jobId()) : List.of();
        long rowsIn = done.stream().mapToLong(ChunkResult::rowsIn).sum();
        long rowsOut = done.stream().mapToLong(ChunkResult::rowsOut).sum();
        long rejected = done.stream().mapToLong(ChunkResult::rowsRejected).sum();
        long elapsed = Duration.between(plan.createdAt(), clock.instant()).toMillis();
        return Optional.of(new JobStatus(listing.jobId(), plan.input().key(), plan.input().modelName(), version,
                JobState.RUNNING, null, null, plan.chunks().size(), listing.chunksDone(), rowsIn, rowsOut, rejected,
                plan.createdAt(), null, Math.max(0, elapsed), listing.redrives(), null, null, null, null));
    }
}
