package dev.batchinference.results;

import dev.batchinference.config.PipelineConfig.Limits;
import dev.batchinference.cost.CostSettings;
import dev.batchinference.failure.FailureReason;
import dev.batchinference.failure.JobFailure;
import dev.batchinference.job.ChunkResult;
import dev.batchinference.job.ChunkTask;
import dev.batchinference.job.CompletionGroups;
import dev.batchinference.job.JobKeys;
import dev.batchinference.job.JobPlan;
import dev.batchinference.job.JobState;
import dev.batchinference.job.JobStore;
import dev.batchinference.job.JobSummary;
import dev.batchinference.job.KeyLimits;
import dev.batchinference.job.ResultMessage;
import dev.batchinference.json.JsonCodec;
import dev.batchinference.metering.RequestCounts;
import dev.batchinference.storage.ObjectStore;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Ends jobs. It records each finished chunk, and when the last one is in, has {@link JobOutputs} collate
 * the parts in input order and writes the summary. A job's end is decided once:
 * one writer at a time holds the job's collation lock (an S3 conditional write), and the terminal record
 * is itself written only if absent. A failed chunk or a rejected job ends the job FAILED the same way.
 * Collating a job is attempted at most {@code COLLATE_MAX_ATTEMPTS} times ({@link CollationLock} counts them):
 * an output that cannot be written ends the job FAILED with OUTPUT_WRITE_FAILED, never a retry without end.
 */
public final class JobCollator {
    private static final Logger LOG = LoggerFactory.getLogger(JobCollator.class);
    private static final int PLAN_CACHE_LIMIT = 16;

    private final ObjectStore store;
    private final JobStore jobs;
    private final JobOutputs outputs;
    private final Limits limits;
    private final Clock clock;
    private final CollationLock lock;
    private final CompletionGroups completion;
    private final CostSettings cost;
    /** Plans are written once: each writer reads a job's plan once, not at every message (a plan grows with its job). */
    private final Map<String, JobPlan> plans = new ConcurrentHashMap<>();
    private final RequestLedger requests = new RequestLedger();

    /** What became of one message. */
    public enum Outcome { RECORDED, SUCCEEDED, FAILED, ALREADY_ENDED, IGNORED }

    /** Another writer is ending this job right now: the message should come back later. */
    public static final class JobBusyException extends RuntimeException {
        public JobBusyException(String jobId, CollateLock holder) {
            super("job " + jobId + " is being collated by " + holder.owner() + " since " + holder.acquiredAt()
                    + "; will look again");
        }
    }

    public JobCollator(ObjectStore store, Duration lease, Limits limits, Clock clock, String owner) {
        this(store, lease, limits, CostSettings.defaults(), clock, owner, new CompletionGroups(store));
    }

    /** As above, pricing the summary's cost estimate with {@code cost}. */
    public JobCollator(ObjectStore store, Duration lease, Limits limits, CostSettings cost, Clock clock, String owner) {
        this(store, lease, limits, cost, clock, owner, new CompletionGroups(store));
    }

    /** As above, with the completion groups given: a fanout other than {@link CompletionGroups#FANOUT}, for tests. */
    public JobCollator(ObjectStore store, Duration lease, Limits limits, Clock clock, String owner,
                       CompletionGroups completion) {
        this(store, lease, limits, CostSettings.defaults(), clock, owner, completion);
    }

    private JobCollator(ObjectStore store, Duration lease, Limits limits, CostSettings cost, Clock clock, String owner,
                        CompletionGroups completion) {
        this.store = store;
        this.cost = cost;
        this.completion = completion;
        this.jobs = new JobStore(store);
        this.outputs = new JobOutputs(store, limits);
        this.limits = limits;
        this.clock = clock;
        this.lock = new CollationLock(store, lease, clock, owner);
    }

    /** Handles a results-queue message, or a chunk task that the work queue dead-lettered. */
    public Outcome handle(String messageBody) {
        return handle(ResultsQueueMessage.read(messageBody));
    }

    /**
     * Handles a message read once by the caller, who may have taken its job id for a log line. Its requests are
     * counted: what no done marker or summary carried yet is kept for the job, for the next marker to carry.
     */
    public Outcome handle(ResultsQueueMessage message) {
        try (RequestCounts.Tally tally = RequestCounts.open()) {
            try {
                return dispatch(message);
            } finally {
                requests.keep(message.isJson() ? message.jobId() : null, tally);
            }
        }
    }

    private Outcome dispatch(ResultsQueueMessage message) {
        if (!message.isJson()) {
            // retrying cannot make it readable: dropping it (loudly) beats blocking the queue
            LOG.error("dropping a message that is not JSON ({} bytes)", message.length());
            return Outcome.IGNORED;
        }
        String type = message.type();
        if (ChunkTask.TYPE.equals(type)) {
            ChunkTask task = message.task();
            if (jobs.isDone(task.jobId(), task.chunk().index())) {
                return Outcome.IGNORED; // a duplicate of a chunk that did succeed
            }
            return fail(task.jobId(), new JobFailure(FailureReason.CHUNK_FAILED, "chunk " + task.chunk().index()
                    + " (bytes " + task.chunk().startByte() + "-" + task.chunk().endByte()
                    + ") kept failing until its retries ran out; see the worker's logs"));
        }
        ResultMessage result = message.result();
        return switch (type) {
            case ResultMessage.CHUNK_DONE -> chunkDone(result.jobId(), result.result());
            case ResultMessage.CHUNK_FAILED, ResultMessage.JOB_REJECTED, ResultMessage.JOB_STALLED ->
                    fail(result.jobId(), result.failure());
            default -> {
                LOG.error("dropping a message of unknown type '{}'", type);
                yield Outcome.IGNORED;
            }
        };
    }

    /**
     * Records the chunk and, through its completion groups, tells with a few requests whether it was the job's last:
     * no listing of the whole job on this path, whatever its size (see {@link CompletionGroups}).
     */
    private Outcome chunkDone(String jobId, ChunkResult result) {
        Optional<JobPlan> plan = plan(jobId);
        if (plan.isEmpty()) {
            return orphan(jobId);
        }
        int chunks = plan.get().chunks().size();
        if (result.chunk() < 0 || result.chunk() >= chunks) {
            LOG.error("dropping a result for chunk {} of job {}, whose chunks are 0 to {}", result.chunk(), jobId, chunks - 1);
            return Outcome.IGNORED;
        }
        requests.recordDone(completion, jobId, result);
        if (!completion.complete(jobId, result.chunk(), chunks)) {
            return Outcome.RECORDED;
        }
        return endJob(plan.get(), () -> collate(plan.get()));
    }

    private Optional<JobPlan> plan(String jobId) {
        JobPlan cached = plans.get(jobId);
        if (cached != null) {
            return Optional.of(cached);
        }
        Optional<JobPlan> plan = jobs.plan(jobId);
        if (plan.isPresent()) {
            if (plans.size() >= PLAN_CACHE_LIMIT) {
                plans.clear();
            }
            plans.put(jobId, plan.get());
        }
        return plan;
    }

    private Outcome fail(String jobId, JobFailure failure) {
        Optional<JobPlan> plan = plan(jobId);
        if (plan.isEmpty()) {
            return orphan(jobId);
        }
        return endJob(plan.get(), () -> failed(plan.get(), failure));
    }

    /**
     * A message for a job that has no plan (its state under jobs/ was removed): nothing can end that job,
     * and since the writer also drains its own dead letters, retrying would only go on forever.
     */
    private Outcome orphan(String jobId) {
        LOG.error("dropping a message for job {}, which has no plan under {}", jobId, JobKeys.plan(jobId));
        return Outcome.IGNORED;
    }

    /** Runs {@code ending} under the job's lock, once: a job that has ended stays as it ended. */
    private Outcome endJob(JobPlan plan, java.util.function.Supplier<JobSummary> ending) {
        if (jobs.terminal(plan.jobId()).isPresent()) {
            return Outcome.ALREADY_ENDED;
        }
        CollationLock.Taking taking = lock.take(plan.jobId());
        if (taking instanceof CollationLock.Busy busy) {
            throw new JobBusyException(plan.jobId(), busy.holder());
        }
        CollationLock.Taken attempt = (CollationLock.Taken) taking;
        if (jobs.terminal(plan.jobId()).isPresent()) {
            return Outcome.ALREADY_ENDED; // ended between our check and our lock
        }
        boolean superseded = superseded(plan);
        if (!superseded && attempt.attempt() > limits.maxCollateAttempts()) {
            return ended(outputsNotWritten(plan, attempt));
        }
        JobSummary summary;
        try {
            summary = superseded ? failed(plan, new JobFailure(FailureReason.INPUT_CHANGED, "the input "
                    + plan.input().key() + " was replaced by a newer version while this job ran; that version's job"
                    + " writes the outputs")) : ending.get();
            if (!superseded) {
                writeSummary(plan, summary);
            }
        } catch (RuntimeException e) {
            String failure = OutputWriteException.describe(e);
            LOG.warn("job {}: collation attempt {} of {} failed: {}", plan.jobId(), attempt.attempt(),
                    limits.maxCollateAttempts(), failure);
            lock.release(plan.jobId(), failure);
            throw e;
        }
        return ended(summary);
    }

    /** Records the job's end under jobs/, once. */
    private Outcome ended(JobSummary summary) {
        if (!jobs.writeTerminal(summary)) {
            return Outcome.ALREADY_ENDED;
        }
        LOG.info("job {} {}{}", summary.jobId(), summary.state(), summary.reason() == null ? "" : " " + summary.reason());
        return summary.state() == JobState.SUCCEEDED ? Outcome.SUCCEEDED : Outcome.FAILED;
    }

    private void writeSummary(JobPlan plan, JobSummary summary) {
        String summaryKey = JobKeys.summary(plan.input().key());
        Optional<String> unwritable = KeyLimits.problem(summaryKey);
        if (unwritable.isPresent()) {
            // a name ingest refused as too long: a write would fail on every attempt, so the end is recorded under jobs/ only
            LOG.warn("job {}: no summary under output/ ({}); its end is in {}", plan.jobId(), unwritable.get(),
                    JobKeys.terminal(plan.jobId()));
            return;
        }
        try {
            store.write(summaryKey, JsonCodec.writePretty(summary));
        } catch (RuntimeException e) {
            throw new OutputWriteException(summaryKey, e);
        }
    }

    /**
     * The end of a job whose collation failed {@code COLLATE_MAX_ATTEMPTS} times: FAILED, saying how the last attempt
     * failed. Its summary is written under output/ if the store takes it this once (the failure may have been that
     * very write); the end is recorded under jobs/ either way, where {@code pipeline status} reads it.
     */
    private JobSummary outputsNotWritten(JobPlan plan, CollationLock.Taken attempt) {
        String last = attempt.lastFailure() == null ? "no failure was recorded" : attempt.lastFailure();
        JobSummary summary = failed(plan, new JobFailure(FailureReason.OUTPUT_WRITE_FAILED, "the outputs could not be"
                + " written: collating the job failed " + (attempt.attempt() - 1) + " times (COLLATE_MAX_ATTEMPTS="
                + limits.maxCollateAttempts() + "); the last attempt: " + last + ". Outputs an attempt wrote may be"
                + " there, but not all of them: fix the cause (the functions' permissions, the bucket policy, the"
                + " store), then `pipeline redrive " + plan.jobId() + "`"));
        LOG.error("job {}: {}", plan.jobId(), summary.message());
        try {
            writeSummary(plan, summary);
        } catch (RuntimeException e) {
            LOG.warn("job {}: its summary could not be written either ({}); its end is in {}", plan.jobId(),
                    OutputWriteException.describe(e), JobKeys.terminal(plan.jobId()));
        }
        return summary;
    }

    /**
     * Whether the input now holds a newer version: then the output keys, which are named after the input,
     * belong to that version's job, and this one must not write them (whatever order the two end in).
     */
    private boolean superseded(JobPlan plan) {
        Optional<ObjectStore.StoredObject> now = store.head(plan.input().key());
        return now.isPresent() && plan.input().etag() != null && !plan.input().etag().equals(now.get().etag());
    }

    /**
     * Who holds a job's collation lock and since when (released: since {@link Instant#EPOCH}); how many attempts at
     * collating the job it has counted, this one included (absent in locks from before they were counted: one); and
     * how the attempt before this one ended, null for the first.
     */
    public record CollateLock(String owner, Instant acquiredAt, Integer attempts, String lastFailure) {
        public CollateLock(String owner, Instant acquiredAt) {
            this(owner, acquiredAt, 1, null);
        }

        int attemptsSoFar() {
            return attempts == null ? 1 : attempts;
        }

        /** Handed back after a failure: free to take at once. */
        boolean released() {
            return Instant.EPOCH.equals(acquiredAt);
        }

        CollateLock releasedWith(String releasedOwner, String failure) {
            return new CollateLock(releasedOwner, Instant.EPOCH, attemptsSoFar(), failure);
        }
    }

    private JobSummary collate(JobPlan plan) {
        Instant started = clock.instant();
        List<ChunkResult> chunks = jobs.allDoneChunks(plan.jobId(), plan.chunks().size());
        // every row accounted for, or no outputs: checked before anything is written
        List<JobSummary.UnaccountedChunk> unaccounted = RowReconciliation.unaccounted(plan.chunks(), chunks);
        Optional<JobFailure> unbalanced = RowReconciliation.failure(plan.chunks(), chunks, unaccounted);
        if (unbalanced.isPresent()) {
            LOG.error("job {}: {}", plan.jobId(), unbalanced.get().message());
            JobSummary failed = summary(plan, JobState.FAILED, unbalanced.get(), chunks, null, null,
                    Duration.between(started, clock.instant()).toMillis());
            return failed.withUnaccounted(RowReconciliation.listed(unaccounted));
        }
        long rowsIn = chunks.stream().mapToLong(ChunkResult::rowsIn).sum();
        long rejected = chunks.stream().mapToLong(ChunkResult::rowsRejected).sum();
        if (limits.tooManyRejected(rejected, rowsIn)) {
            // no predictions for a failed job: a consumer waiting for them must not take a part for the whole
            String errorsKey = outputs.writeErrors(plan, chunks);
            JobFailure failure = new JobFailure(FailureReason.ERROR_THRESHOLD, String.format(java.util.Locale.ROOT,
                    "%d of %d rows (%.2f%%) were rejected, more than the deployment tolerates (%s); the rows and"
                            + " reasons are in %s", rejected, rowsIn, rowsIn == 0 ? 0.0 : rejected * 100.0 / rowsIn,
                    tolerance(), errorsKey));
            return summary(plan, JobState.FAILED, failure, chunks, null, errorsKey,
                    Duration.between(started, clock.instant()).toMillis());
        }
        // the errors file first: predictions that appear are never without their errors file, even in a job
        // whose later writes fail
        String errorsKey = rejected > 0 ? outputs.writeErrors(plan, chunks) : null;
        JobOutputs.Predictions predictions = outputs.writePredictions(plan, chunks);
        long collateMs = Duration.between(started, clock.instant()).toMillis();
        return summary(plan, JobState.SUCCEEDED, null, chunks, predictions.key(), errorsKey, collateMs)
                .withOutputParts(predictions.parts());
    }

    /** The limits and where each is set: a stack's parameter, or the flag of {@code ./pipeline run} and {@code serve}. */
    private String tolerance() {
        String percent = "MAX_REJECTED_PERCENT=" + limits.maxRejectedPercent()
                + ": the stack's MaxRejectedPercent, --max-rejected-percent of ./pipeline run or serve";
        return limits.maxRejectedRows() == Long.MAX_VALUE ? percent
                : percent + "; MAX_REJECTED_ROWS=" + limits.maxRejectedRows() + ": MaxRejectedRows, --max-rejected-rows";
    }

    private JobSummary failed(JobPlan plan, JobFailure failure) {
        List<ChunkResult> chunks = plan.isRejected() ? List.of() : jobs.doneChunks(plan.jobId());
        return accounted(new JobSummary(plan.jobId(), JobState.FAILED, failure.reason(), failure.message(), plan.input(),
                plan.input().modelName(), plan.model() == null ? null : plan.model().version(),
                sum(chunks, ChunkResult::rowsIn), sum(chunks, ChunkResult::rowsOut), sum(chunks, ChunkResult::rowsRejected),
                plan.chunks().size(), null, null, plan.createdAt(), clock.instant(),
                Duration.between(plan.createdAt(), clock.instant()).toMillis(), timings(chunks, 0), null, null),
                plan, chunks, 0);
    }

    /** The summary with the requests each function made for the job, and what the job would cost on Lambda. */
    private JobSummary accounted(JobSummary summary, JobPlan plan, List<ChunkResult> chunks, long collateMs) {
        Optional<JobStore.Dispatched> dispatched = jobs.dispatched(plan.jobId());
        JobSummary.RequestsByFunction byFunction = requests.summarize(plan.jobId(),
                dispatched.map(JobStore.Dispatched::requests).orElse(null), chunks);
        int results = plan.isRejected() ? 1 : chunks.size();
        return summary.withRequests(byFunction)
                .withCost(JobCostEstimate.of(byFunction, chunks, results, dispatched, collateMs, cost));
    }

    private JobSummary summary(JobPlan plan, JobState state, JobFailure failure, List<ChunkResult> chunks,
                               String output, String errors, long collateMs) {
        Instant now = clock.instant();
        long rowsIn = sum(chunks, ChunkResult::rowsIn);
        long durationMs = Duration.between(plan.createdAt(), now).toMillis();
        JobSummary.Timings timings = timings(chunks, collateMs);
        return accounted(new JobSummary(plan.jobId(), state, failure == null ? null : failure.reason(),
                failure == null ? null : failure.message(), plan.input(), plan.model().name(), plan.model().version(),
                rowsIn, sum(chunks, ChunkResult::rowsOut), sum(chunks, ChunkResult::rowsRejected),
                plan.chunks().size(), output, errors, plan.createdAt(), now, durationMs, timings,
                JobSummary.Throughput.of(rowsIn, durationMs, timings.chunkMs()), null), plan, chunks, collateMs);
    }

    private static JobSummary.Timings timings(List<ChunkResult> chunks, long collateMs) {
        return new JobSummary.Timings(sum(chunks, ChunkResult::parseMs), sum(chunks, ChunkResult::inferMs),
                sum(chunks, ChunkResult::writeMs), collateMs, sum(chunks, ChunkResult::modelLoadMs),
                sum(chunks, ChunkResult::totalMs));
    }

    private static long sum(List<ChunkResult> chunks, java.util.function.ToLongFunction<ChunkResult> field) {
        return chunks.stream().mapToLong(field).sum();
    }

}
