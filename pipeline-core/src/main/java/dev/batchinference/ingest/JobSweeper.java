package dev.batchinference.ingest;

import dev.batchinference.control.JobRedriver;
import dev.batchinference.failure.FailureReason;
import dev.batchinference.failure.JobFailure;
import dev.batchinference.failure.PipelineException;
import dev.batchinference.format.InputFormat;
import dev.batchinference.job.InputObject;
import dev.batchinference.job.JobId;
import dev.batchinference.job.JobKeys;
import dev.batchinference.job.JobListing;
import dev.batchinference.job.JobSummary;
import dev.batchinference.job.ResultMessage;
import dev.batchinference.json.JsonCodec;
import dev.batchinference.json.RecordJson;
import dev.batchinference.queue.MessageSender;
import dev.batchinference.storage.NoSuchKeyException;
import dev.batchinference.storage.ObjectStore;
import dev.batchinference.storage.ObjectStore.StoredObject;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The scheduled run: starts a job for every input that has none (a notification that never came, or a
 * deployment that processes uploads in windows with the upload trigger off), and makes sure no job stays
 * RUNNING forever. A job that has not moved for {@code STALLED_JOB_SECONDS} is re-driven once; if it still
 * does not move for as long again, it is ended FAILED with {@code STALLED} (by the results writer, which
 * alone writes outputs).
 */
public final class JobSweeper {
    private static final Logger LOG = LoggerFactory.getLogger(JobSweeper.class);

    private final String bucket;
    private final ObjectStore store;
    private final JobIngestor ingestor;
    private final JobRedriver redriver;
    private final MessageSender resultsQueue;
    private final Duration stalledAfter;
    private final Clock clock;

    /** What one run found and did. */
    public record SweepReport(int inputs, List<JobIngestor.Outcome> started, List<JobRedriver.Redrive> redriven,
                              List<String> endedStalled, int running) {
    }

    public JobSweeper(String bucket, ObjectStore store, JobIngestor ingestor, JobRedriver redriver,
                      MessageSender resultsQueue, Duration stalledAfter, Clock clock) {
        this.bucket = bucket;
        this.store = store;
        this.ingestor = ingestor;
        this.redriver = redriver;
        this.resultsQueue = resultsQueue;
        this.stalledAfter = stalledAfter;
        this.clock = clock;
    }

    /** A scheduled run: unjobbed inputs started, stalled jobs re-driven or ended. */
    public SweepReport sweep() {
        List<StoredObject> inputs = inputs();
        List<JobIngestor.Outcome> started = startUnjobbed(inputs);
        Instant now = clock.instant();
        List<JobRedriver.Redrive> redriven = new ArrayList<>();
        List<String> ended = new ArrayList<>();
        int running = 0;
        for (JobListing job : unfinishedJobs()) {
            running++;
            if (job.redrivenSinceProgress()) {
                if (!job.lastRedriveAt().plus(stalledAfter).isAfter(now)) {
                    endStalled(job);
                    ended.add(job.jobId());
                }
            } else if (!job.lastProgressAt().plus(stalledAfter).isAfter(now)) {
                redriven.add(redriver.resume(job.jobId(), "sweep"));
            }
        }
        SweepReport report = new SweepReport(inputs.size(), started, redriven, ended, running);
        LOG.info("sweep: {} input(s), {} job(s) started, {} unfinished, {} re-driven, {} ended as stalled",
                inputs.size(), started.size(), running, redriven.size(), ended.size());
        return report;
    }

    /**
     * After a restart of the local runtime, whose queues do not survive it: unjobbed inputs are started and
     * every unfinished job is re-driven at once, however recently it moved.
     */
    public SweepReport resume() {
        List<StoredObject> inputs = inputs();
        List<JobIngestor.Outcome> started = startUnjobbed(inputs);
        List<JobRedriver.Redrive> redriven = new ArrayList<>();
        List<String> startedIds = started.stream().map(JobIngestor.Outcome::jobId).toList();
        List<JobListing> unfinished = unfinishedJobs();
        for (JobListing job : unfinished) {
            if (!startedIds.contains(job.jobId())) {
                redriven.add(redriver.resume(job.jobId(), "resume"));
            }
        }
        return new SweepReport(inputs.size(), started, redriven, List.of(), unfinished.size());
    }

    private List<StoredObject> inputs() {
        return store.listObjects(JobKeys.INCOMING).stream()
                .filter(o -> JobKeys.isIncoming(o.key()) && isInputFormat(o.key()))
                .toList();
    }

    /**
     * Only names the pipeline reads: a sweep is for notifications that went missing, and a listing may show
     * objects a notification never would (S3Proxy lists an upload in progress under a temporary name).
     */
    private static boolean isInputFormat(String key) {
        try {
            InputFormat.of(key);
            return true;
        } catch (PipelineException e) {
            return false;
        }
    }

    private List<JobIngestor.Outcome> startUnjobbed(List<StoredObject> inputs) {
        List<JobIngestor.Outcome> started = new ArrayList<>();
        for (StoredObject input : inputs) {
            if (hasJob(input)) {
                continue;
            }
            JobIngestor.Outcome outcome = ingestor.ingest(input.key());
            if (outcome.status() == JobIngestor.Outcome.Status.STARTED
                    || outcome.status() == JobIngestor.Outcome.Status.REJECTED) {
                LOG.info("sweep: {} had no job; started {}", input.key(), outcome.jobId());
                started.add(outcome);
            }
        }
        return started;
    }

    /**
     * Whether this version of the input has a job: its tasks went out, it is being planned in steps, or (once
     * {@code jobs/} has expired) its summary names this version. A listing has no version ids, so in a versioned
     * bucket the first tests miss and ingest itself, after a HEAD, finds the job (a duplicate, ignored).
     */
    private boolean hasJob(StoredObject input) {
        String jobId = JobId.of(new InputObject(bucket, input.key(), null, input.etag(), input.size(), input.lastModified()));
        if (store.head(JobKeys.dispatched(jobId)).isPresent()) {
            return true;
        }
        if (store.head(JobKeys.step(jobId, 1)).isPresent()) {
            return true; // being planned in steps: its hand-overs carry it on, or end it when they cannot
        }
        return summaryNames(JobKeys.summary(input.key()), input)
                || summaryNames(summaryBeforeWholeNames(input.key()), input);
    }

    /** Whether the summary at {@code summaryKey} is of this version of the input. */
    private boolean summaryNames(String summaryKey, StoredObject input) {
        if (summaryKey == null || store.head(summaryKey).isEmpty()) {
            return false;
        }
        try (InputStream in = store.read(summaryKey)) {
            JobSummary summary = JsonCodec.read(in.readAllBytes(), JobSummary.class);
            return summary.input() != null && input.key().equals(summary.input().key()) && input.etag() != null
                    && input.etag().equals(summary.input().etag());
        } catch (NoSuchKeyException e) {
            return false;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Where releases before outputs kept the input's whole name wrote its summary: the name less {@code .csv},
     * {@code .csv.gz}, {@code .tsv} or {@code .parquet}. Read only, so that an upgrade does not make a scheduled
     * run start again every old input whose {@code jobs/} state has expired; null where the name was the same.
     */
    private static String summaryBeforeWholeNames(String key) {
        String lower = key.toLowerCase(Locale.ROOT);
        int name = key.lastIndexOf('/') + 1;
        for (String extension : List.of(".csv.gz", ".csv", ".tsv", ".parquet")) {
            if (lower.endsWith(extension) && key.length() - extension.length() > name) {
                return JobKeys.OUTPUT + key.substring(JobKeys.INCOMING.length(), key.length() - extension.length())
                        + JobKeys.SUMMARY;
            }
        }
        return null;
    }

    private List<JobListing> unfinishedJobs() {
        return JobListing.of(store.listObjects(JobKeys.JOBS)).stream().filter(j -> !j.ended()).toList();
    }

    private void endStalled(JobListing job) {
        String message = String.format("no chunk finished since %s, not even after the job was re-driven at %s"
                + " (STALLED_JOB_SECONDS=%d); %d of its chunks were done. See the worker's logs; `pipeline redrive %s`"
                + " runs the unfinished chunks again", job.lastProgressAt(), job.lastRedriveAt(), stalledAfter.toSeconds(),
                job.chunksDone(), job.jobId());
        resultsQueue.send(RecordJson.write(ResultMessage.jobStalled(job.jobId(), new JobFailure(FailureReason.STALLED,
                message))));
        LOG.warn("sweep: job {} stalled; asked the results writer to end it FAILED", job.jobId());
    }
}
