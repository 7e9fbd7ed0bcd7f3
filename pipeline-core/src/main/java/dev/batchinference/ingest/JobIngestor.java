package dev.batchinference.ingest;

import dev.batchinference.config.PipelineConfig.DataSettings;
import dev.batchinference.config.PipelineConfig.Limits;
import dev.batchinference.failure.FailureReason;
import dev.batchinference.failure.PipelineException;
import dev.batchinference.format.ChunkLimits;
import dev.batchinference.format.ColumnMapping;
import dev.batchinference.format.InputFormat;
import dev.batchinference.format.OutputFormat;
import dev.batchinference.job.ChunkTask;
import dev.batchinference.job.InputObject;
import dev.batchinference.job.JobId;
import dev.batchinference.job.JobKeys;
import dev.batchinference.job.JobPlan;
import dev.batchinference.job.JobPlan.Layout;
import dev.batchinference.job.JobStore;
import dev.batchinference.job.ResultMessage;
import dev.batchinference.json.RecordJson;
import dev.batchinference.layout.Formats;
import dev.batchinference.metering.RequestCounts;
import dev.batchinference.model.ModelStore;
import dev.batchinference.queue.MessageSender;
import dev.batchinference.storage.ObjectStore;
import java.time.Clock;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns a created input object into a job: pins the object version and the model version, plans the
 * chunks in one streaming pass, records the plan once, and sends a task per chunk. A job that cannot
 * run is recorded too, and handed to the results writer to end FAILED with its reason.
 */
public final class JobIngestor {
    private static final Logger LOG = LoggerFactory.getLogger(JobIngestor.class);

    private final String bucket;
    private final ObjectStore store;
    private final JobStore jobs;
    private final ModelStore models;
    private final MessageSender workQueue;
    private final MessageSender resultsQueue;
    private final ChunkLimits limits;
    private final DataSettings data;
    private final Limits safety;
    private final Clock clock;

    /** What became of one notification. */
    public record Outcome(String key, String jobId, Status status, int chunks) {
        public enum Status { STARTED, REJECTED, DUPLICATE, IGNORED }
    }

    public JobIngestor(String bucket, ObjectStore store, ModelStore models, MessageSender workQueue, MessageSender resultsQueue,
                       ChunkLimits limits, DataSettings data, Limits safety, Clock clock) {
        this.bucket = bucket;
        this.store = store;
        this.jobs = new JobStore(store);
        this.models = models;
        this.workQueue = workQueue;
        this.resultsQueue = resultsQueue;
        this.limits = limits;
        this.data = data;
        this.safety = safety;
        this.clock = clock;
    }

    /** Ingests one object by its decoded key; safe to call again for the same object version. */
    public Outcome ingest(String key) {
        long started = System.nanoTime();
        try (RequestCounts.Tally requests = RequestCounts.open()) {
            return ingest(key, requests, started);
        }
    }

    private Outcome ingest(String key, RequestCounts.Tally requests, long started) {
        if (!JobKeys.isIncoming(key)) {
            LOG.info("ignoring {}: not under incoming/<model>/", key);
            return new Outcome(key, null, Outcome.Status.IGNORED, 0);
        }
        Optional<ObjectStore.StoredObject> head = store.head(key);
        if (head.isEmpty()) {
            LOG.info("ignoring {}: the object no longer exists", key);
            return new Outcome(key, null, Outcome.Status.IGNORED, 0);
        }
        ObjectStore.StoredObject object = head.get();
        InputObject input = new InputObject(bucket, key, object.versionId(), object.etag(), object.size(),
                object.lastModified());
        String jobId = JobId.of(input);

        Optional<JobPlan> existing = jobs.plan(jobId);
        if (existing.isPresent() && jobs.isDispatched(jobId)) {
            LOG.info("job {} for {} exists already: duplicate notification", jobId, key);
            return new Outcome(key, jobId, Outcome.Status.DUPLICATE, existing.get().chunks().size());
        }
        JobPlan plan = existing.orElseGet(() -> plan(jobId, input));
        if (existing.isEmpty() && !jobs.createPlan(plan)) {
            // another delivery of the same notification planned it a moment ago: continue with its plan
            plan = jobs.plan(jobId).orElseThrow();
        }
        dispatch(plan);
        jobs.markDispatched(jobId, requests.requests().withOnePut(), (System.nanoTime() - started) / 1_000_000);
        LOG.info("job {} for {}: {}", jobId, key, plan.isRejected()
                ? "rejected, " + plan.failure().reason() : plan.chunks().size() + " chunk(s)");
        return new Outcome(key, jobId, plan.isRejected() ? Outcome.Status.REJECTED : Outcome.Status.STARTED,
                plan.chunks().size());
    }

    private JobPlan plan(String jobId, InputObject input) {
        try {
            JobKeys.inputKeyProblem(input.key()).ifPresent(problem -> {
                throw new PipelineException(FailureReason.INVALID_KEY, problem);
            });
            InputFormat format = InputFormat.of(input.key());
            // every name the job will write fits the store, or the job ends here rather than failing its writes
            dev.batchinference.job.KeyLimits.checkOutputKeys(input.key(), data.outputFormat().orElse(OutputFormat.matching(format)));
            ModelStore.ResolvedModel model = models.resolveCurrent(input.modelName());
            models.checkGraph(model);
            Formats.PlannedInput planned = Formats.plan(store, jobId, input, limits, safety, data.delimiter());
            Formats.checkChunkCount(planned.chunks().size(), safety);
            ColumnMapping mapping = planned.map(model.manifest().features(), data.columns());
            Layout layout = planned.layout(mapping, data.outputFormat().orElse(OutputFormat.matching(format)),
                    data.parquetCompression(), model.manifest().labels());
            return new JobPlan(jobId, input, model.ref(), model.manifest(), layout, planned.chunks(), clock.instant(), null);
        } catch (PipelineException e) {
            return JobPlan.rejected(jobId, input, e.toFailure(), clock.instant());
        }
    }

    private void dispatch(JobPlan plan) {
        if (plan.isRejected()) {
            resultsQueue.send(RecordJson.write(ResultMessage.jobRejected(plan.jobId(), plan.failure())));
            return;
        }
        workQueue.send(plan.chunks().stream().map(c -> RecordJson.write(ChunkTask.of(plan.jobId(), c))).toList());
    }
}
