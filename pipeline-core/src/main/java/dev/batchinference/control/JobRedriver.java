package dev.batchinference.control;

import dev.batchinference.failure.FailureReason;
import dev.batchinference.format.ChunkRange;
import dev.batchinference.job.CompletionGroups;
import dev.batchinference.job.ChunkTask;
import dev.batchinference.job.JobKeys;
import dev.batchinference.job.JobPlan;
import dev.batchinference.job.JobState;
import dev.batchinference.job.JobStore;
import dev.batchinference.job.JobSummary;
import dev.batchinference.job.ResultMessage;
import dev.batchinference.json.JsonCodec;
import dev.batchinference.json.RecordJson;
import dev.batchinference.queue.MessageSender;
import dev.batchinference.storage.ObjectStore;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends a job again what it is waiting for: the tasks of its chunks that have not finished, or, when every
 * chunk has, the result of the last chunk of each completion group, so that a writer finds the job complete and
 * collates it. Workers and the writer are idempotent,
 * so re-sending something that was only slow costs work, never a row twice. Like Step Functions'
 * redrive, a user's redrive of a FAILED job re-runs only the chunks that did not finish.
 */
public final class JobRedriver {
    private static final Logger LOG = LoggerFactory.getLogger(JobRedriver.class);
    /**
     * Failures a redrive can cure: the input and model were fine, a chunk's run was not, or the outputs could not be
     * written (once whatever refused them is fixed).
     */
    private static final Set<FailureReason> REDRIVABLE = Set.of(FailureReason.CHUNK_FAILED, FailureReason.STALLED,
            FailureReason.OUTPUT_WRITE_FAILED);

    private final ObjectStore store;
    private final JobStore jobs;
    private final MessageSender workQueue;
    private final MessageSender resultsQueue;
    private final Clock clock;
    private final CompletionGroups completion;

    /** What a redrive sent: chunk tasks, a request to collate, or the job's rejection again. */
    public record Redrive(String jobId, String cause, Instant at, List<Integer> chunks, boolean collationRequested,
                          boolean rejectionResent) {
    }

    /** A redrive that would not help; the message says why and what would. */
    public static final class RedriveRefusedException extends RuntimeException {
        public RedriveRefusedException(String message) {
            super(message);
        }
    }

    public JobRedriver(ObjectStore store, MessageSender workQueue, MessageSender resultsQueue, Clock clock) {
        this(store, workQueue, resultsQueue, clock, new CompletionGroups(store));
    }

    /** As above, with the writers' completion groups when their fanout is not the default (tests). */
    public JobRedriver(ObjectStore store, MessageSender workQueue, MessageSender resultsQueue, Clock clock,
                       CompletionGroups completion) {
        this.completion = completion;
        this.store = store;
        this.jobs = new JobStore(store);
        this.workQueue = workQueue;
        this.resultsQueue = resultsQueue;
        this.clock = clock;
    }

    /**
     * Re-sends what an unfinished job waits for, and records the redrive under {@code jobs/<id>/redrives/}.
     *
     * @param cause who asked: {@code sweep}, {@code resume} or {@code user}, kept in the record
     */
    public Redrive resume(String jobId, String cause) {
        JobPlan plan = jobs.plan(jobId).orElseThrow(() -> new RedriveRefusedException("job " + jobId + " has no plan under "
                + JobKeys.plan(jobId)));
        Instant now = clock.instant();
        Redrive redrive;
        if (plan.isRejected()) {
            resultsQueue.send(RecordJson.write(ResultMessage.jobRejected(jobId, plan.failure())));
            redrive = new Redrive(jobId, cause, now, List.of(), false, true);
        } else {
            Set<Integer> done = jobs.doneKeys(jobId).stream().map(JobRedriver::chunkOf).collect(Collectors.toSet());
            List<ChunkRange> missing = plan.chunks().stream().filter(c -> !done.contains(c.index())).toList();
            boolean collate = false;
            if (!missing.isEmpty()) {
                workQueue.send(missing.stream().map(c -> RecordJson.write(ChunkTask.of(jobId, c))).toList());
            } else if (!plan.chunks().isEmpty()) {
                // every chunk is done, the job has not ended: a climb through the completion groups (or the
                // collation at its top) went missing. The last chunk of each group climbs again, through every group
                resultsQueue.send(completion.lastOfEachGroup(plan.chunks().size()).stream()
                        .map(chunk -> jobs.doneChunk(JobKeys.done(jobId, chunk)).orElseThrow())
                        .map(result -> RecordJson.write(ResultMessage.chunkDone(jobId, result))).toList());
                collate = true;
            }
            redrive = new Redrive(jobId, cause, now, missing.stream().map(ChunkRange::index).toList(), collate, false);
        }
        if (!jobs.isDispatched(jobId)) {
            jobs.markDispatched(jobId);
        }
        store.write(JobKeys.redrive(jobId, now), JsonCodec.writeBytes(redrive));
        LOG.info("job {} re-driven ({}): {} chunk task(s){}{}", jobId, cause, redrive.chunks().size(),
                redrive.collationRequested() ? ", collation" : "", redrive.rejectionResent() ? ", rejection" : "");
        return redrive;
    }

    /**
     * A user's redrive of a job that FAILED because a chunk ran out of retries, the job stalled or its outputs could
     * not be written: its end
     * is undone (terminal record and collation lock removed) and only its unfinished chunks run again.
     */
    public Redrive redriveFailed(String jobId) {
        if (jobs.plan(jobId).isEmpty()) {
            throw new RedriveRefusedException("no job " + jobId + " (no " + JobKeys.plan(jobId) + ")");
        }
        JobSummary end = jobs.terminal(jobId).orElseThrow(() -> new RedriveRefusedException("job " + jobId
                + " is still running; a redrive re-runs the chunks of a FAILED job (a scheduled run re-drives"
                + " running jobs that stall)"));
        if (end.state() == JobState.SUCCEEDED) {
            throw new RedriveRefusedException("job " + jobId + " SUCCEEDED; there is nothing to redrive");
        }
        if (!REDRIVABLE.contains(end.reason())) {
            throw new RedriveRefusedException("job " + jobId + " FAILED with " + end.reason() + " (" + end.message()
                    + "); a redrive would fail the same way: fix the input or the model and upload the input again");
        }
        // the lock first: a writer that comes in between still finds the job ended, and leaves it
        store.delete(JobKeys.collateLock(jobId));
        store.delete(JobKeys.terminal(jobId));
        return resume(jobId, "user");
    }

    private static int chunkOf(String doneKey) {
        String name = doneKey.substring(doneKey.lastIndexOf('/') + 1, doneKey.length() - ".json".length());
        return Integer.parseInt(name);
    }
}
