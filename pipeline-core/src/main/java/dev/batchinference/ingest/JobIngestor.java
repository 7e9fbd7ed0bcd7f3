package dev.batchinference.ingest;

import dev.batchinference.config.PipelineConfig.DataSettings;
import dev.batchinference.config.PipelineConfig.Limits;
import dev.batchinference.config.PipelineConfig.Planning;
import dev.batchinference.failure.FailureReason;
import dev.batchinference.failure.JobFailure;
import dev.batchinference.failure.PipelineException;
import dev.batchinference.format.ChunkLimits;
import dev.batchinference.format.ColumnMapping;
import dev.batchinference.format.InputFormat;
import dev.batchinference.format.OutputFormat;
import dev.batchinference.format.ResumePoint;
import dev.batchinference.format.ScanBudget;
import dev.batchinference.job.ChunkTask;
import dev.batchinference.job.InputObject;
import dev.batchinference.job.JobId;
import dev.batchinference.job.JobKeys;
import dev.batchinference.job.JobPlan;
import dev.batchinference.job.JobPlan.Layout;
import dev.batchinference.job.JobStore;
import dev.batchinference.job.PlanningHandover;
import dev.batchinference.job.PlanningStep;
import dev.batchinference.job.Requests;
import dev.batchinference.job.ResultMessage;
import dev.batchinference.json.RecordJson;
import dev.batchinference.layout.Formats;
import dev.batchinference.metering.RequestCounts;
import dev.batchinference.model.ModelStore;
import dev.batchinference.queue.MessageSender;
import dev.batchinference.storage.ObjectStore;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns a created input object into a job: pins the object version and the model version, plans the
 * chunks in one streaming pass, records the plan once, and sends a task per chunk. A job that cannot
 * run is recorded too, and handed to the results writer to end FAILED with its reason.
 *
 * <p>An input too large to plan within one invocation is planned in steps: when a pass has spent its budget
 * ({@link Planning}), it stops at a chunk cut, writes a checkpoint ({@link PlanningStep}, once, with If-None-Match)
 * and hands the rest over through the planning queue ({@link PlanningHandover}); the next invocation resumes at the
 * checkpoint. Only the invocation that reaches the input's end writes the plan, with every chunk, and sends the
 * chunk tasks: workers and the writer see a job only once it is wholly planned, as with one pass. Whoever writes
 * step {@code n} first hands over from it; a duplicate delivery finds the step, or its hand-over, already there.
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
    /** Where planning is handed over; null: every input is planned in one pass, however long it takes. */
    private final MessageSender planningQueue;
    private final Planning planning;

    /** What became of one notification or hand-over. */
    public record Outcome(String key, String jobId, Status status, int chunks) {
        /** {@code PLANNING}: planned in part and handed over; {@code chunks} counts the chunks cut so far. */
        public enum Status { STARTED, REJECTED, DUPLICATE, IGNORED, PLANNING }
    }

    public JobIngestor(String bucket, ObjectStore store, ModelStore models, MessageSender workQueue, MessageSender resultsQueue,
                       ChunkLimits limits, DataSettings data, Limits safety, Clock clock) {
        this(bucket, store, models, workQueue, resultsQueue, limits, data, safety, clock, null, Planning.defaults());
    }

    private JobIngestor(String bucket, ObjectStore store, ModelStore models, MessageSender workQueue,
                        MessageSender resultsQueue, ChunkLimits limits, DataSettings data, Limits safety, Clock clock,
                        MessageSender planningQueue, Planning planning) {
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
        this.planningQueue = planningQueue;
        this.planning = planning;
    }

    /** This ingestor, planning within {@code planning}'s budget and handing the rest over to {@code planningQueue}. */
    public JobIngestor handingOverTo(MessageSender planningQueue, Planning planning) {
        return new JobIngestor(bucket, store, models, workQueue, resultsQueue, limits, data, safety, clock,
                planningQueue, planning);
    }

    /** Ingests one object by its decoded key; safe to call again for the same object version. */
    public Outcome ingest(String key) {
        return ingest(key, null);
    }

    /**
     * As {@link #ingest(String)}, in an invocation with {@code remaining} time before its timeout (null: unknown),
     * which bounds the budget of its planning pass.
     */
    public Outcome ingest(String key, Duration remaining) {
        long started = System.nanoTime();
        try (RequestCounts.Tally requests = RequestCounts.open()) {
            return ingest(key, remaining, new Invocation(requests, started));
        }
    }

    /** What this invocation has spent on a job so far: its requests, and its time since it started. */
    private record Invocation(RequestCounts.Tally requests, long startedNanos) {
        long elapsedMs() {
            return (System.nanoTime() - startedNanos) / 1_000_000;
        }
    }

    private Outcome ingest(String key, Duration remaining, Invocation requests) {
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
        JobPlan plan;
        if (existing.isPresent()) {
            plan = existing.get();
        } else {
            Pass pass = plan(jobId, input, null, budget(remaining));
            if (pass.next() != null) {
                return handOver(pass.next(), Requests.NONE, 0, requests);
            }
            plan = pass.plan();
            if (!jobs.createPlan(plan)) {
                // another delivery of the same notification planned it a moment ago: continue with its plan
                plan = jobs.plan(jobId).orElseThrow();
            }
        }
        return dispatch(plan, Requests.NONE, 0, requests);
    }

    /**
     * Continues a job's planning from the checkpoint a hand-over names, for as long as this invocation's budget
     * allows (with {@code remaining} time before its timeout; null: unknown). Safe to call again for the same
     * hand-over: a step already planned is not planned again, and a job already dispatched is left alone.
     */
    public Outcome continuePlanning(PlanningHandover handover, Duration remaining) {
        long started = System.nanoTime();
        try (RequestCounts.Tally tally = RequestCounts.open()) {
            Invocation requests = new Invocation(tally, started);
            String jobId = handover.jobId();
            Optional<JobPlan> planned = jobs.plan(jobId);
            if (planned.isPresent()) {
                return dispatchedAlready(planned.get(), handover, requests);
            }
            int nextStep = handover.step() + 1;
            Optional<PlanningStep> next = jobs.step(jobId, nextStep);
            if (next.isPresent()) {
                if (jobs.isHandedOver(jobId, nextStep)) {
                    LOG.info("job {}: step {} is planned and handed over already: duplicate hand-over", jobId, nextStep);
                    return new Outcome(next.get().plan().input().key(), jobId, Outcome.Status.DUPLICATE,
                            next.get().plan().chunks().size());
                }
                // the invocation that planned it stopped before handing over: hand over in its place
                return sendHandover(next.get());
            }
            Optional<PlanningStep> from = jobs.step(jobId, handover.step());
            if (from.isEmpty()) {
                LOG.warn("job {}: no planning step {} to continue from (its job state has expired?)", jobId,
                        handover.step());
                return new Outcome(null, jobId, Outcome.Status.IGNORED, 0);
            }
            Pass pass = plan(jobId, from.get().plan().input(), from.get(), budget(remaining));
            if (pass.next() != null) {
                return handOver(pass.next(), from.get().requests(), from.get().ingestMs(), requests);
            }
            if (!jobs.createPlan(pass.plan())) {
                LOG.info("job {}: planned to its end by another delivery of step {}", jobId, handover.step());
                return new Outcome(from.get().plan().input().key(), jobId, Outcome.Status.DUPLICATE,
                        pass.plan().chunks().size());
            }
            return dispatch(pass.plan(), from.get().requests(), from.get().ingestMs(), requests);
        }
    }

    /**
     * Ends a job whose planning could not go on (its hand-over failed on every delivery and was dead-lettered):
     * FAILED with {@code STALLED}, through the results writer like any job rejected while planning.
     */
    public Outcome abandonPlanning(PlanningHandover handover) {
        long started = System.nanoTime();
        try (RequestCounts.Tally tally = RequestCounts.open()) {
            Invocation requests = new Invocation(tally, started);
            String jobId = handover.jobId();
            Optional<JobPlan> planned = jobs.plan(jobId);
            if (planned.isPresent()) {
                return dispatchedAlready(planned.get(), handover, requests);
            }
            Optional<PlanningStep> from = jobs.step(jobId, handover.step());
            if (from.isEmpty()) {
                LOG.warn("job {}: no planning step {} to end the job from", jobId, handover.step());
                return new Outcome(null, jobId, Outcome.Status.IGNORED, 0);
            }
            PlanningStep step = from.get();
            JobFailure failure = new JobFailure(FailureReason.STALLED, "planning the input stopped at byte " + step.offset()
                    + (step.plan().layout().format() == InputFormat.CSV_GZIP ? " of its uncompressed text" : "")
                    + ", after " + step.records() + " rows in " + step.plan().chunks().size() + " chunks ("
                    + handover.step() + " invocations): the invocation that should have continued it failed every time"
                    + " it was tried. Upload the input again to plan it anew");
            JobPlan rejected = JobPlan.rejected(jobId, step.plan().input(), failure, step.plan().createdAt());
            if (!jobs.createPlan(rejected)) {
                return dispatchedAlready(jobs.plan(jobId).orElseThrow(), handover, requests);
            }
            return dispatch(rejected, step.requests(), step.ingestMs(), requests);
        }
    }

    /** A hand-over that finds the job planned: dispatched already, or dispatched now by this delivery. */
    private Outcome dispatchedAlready(JobPlan plan, PlanningHandover handover, Invocation requests) {
        if (jobs.isDispatched(plan.jobId())) {
            LOG.info("job {} is planned and dispatched already: duplicate hand-over of step {}", plan.jobId(),
                    handover.step());
            return new Outcome(plan.input().key(), plan.jobId(), Outcome.Status.DUPLICATE, plan.chunks().size());
        }
        // the invocation that planned it to its end stopped before sending its tasks
        Optional<PlanningStep> step = jobs.step(plan.jobId(), handover.step());
        return dispatch(plan, step.map(PlanningStep::requests).orElse(Requests.NONE),
                step.map(PlanningStep::ingestMs).orElse(0L), requests);
    }

    /** One planning pass: the whole plan (or a rejection), or the checkpoint it stopped at. */
    private record Pass(JobPlan plan, PlanningStep next) {
    }

    private ScanBudget budget(Duration remaining) {
        return planningQueue == null ? ScanBudget.UNLIMITED : planning.start(clock, remaining);
    }

    /** Plans from the input's start ({@code from} null: the model is pinned and the header read) or from a checkpoint. */
    private Pass plan(String jobId, InputObject input, PlanningStep from, ScanBudget budget) {
        try {
            if (from == null) {
                JobKeys.inputKeyProblem(input.key()).ifPresent(problem -> {
                    throw new PipelineException(FailureReason.INVALID_KEY, problem);
                });
            }
            InputFormat format = InputFormat.of(input.key());
            OutputFormat output = data.outputFormat().orElse(OutputFormat.matching(format));
            ModelStore.ResolvedModel model = null;
            if (from == null) {
                // every name the job will write fits the store, or the job ends here rather than failing its writes
                dev.batchinference.job.KeyLimits.checkOutputKeys(input.key(), output);
                model = models.resolveCurrent(input.modelName());
                models.checkGraph(model);
            }
            ResumePoint resume = from == null ? null : from.resumePoint();
            Formats.PlannedInput planned = Formats.plan(store, jobId, input, limits, safety, data.delimiter(), resume,
                    budget);
            Formats.checkChunkCount(planned.chunks().size(), safety);
            JobPlan plan;
            if (from == null) {
                ColumnMapping mapping = planned.map(model.manifest().features(), data.columns());
                Layout layout = planned.layout(mapping, output, data.parquetCompression(), model.manifest().labels());
                plan = new JobPlan(jobId, input, model.ref(), model.manifest(), layout, planned.chunks(), clock.instant(), null);
            } else {
                JobPlan before = from.plan();
                plan = new JobPlan(jobId, input, before.model(), before.manifest(), before.layout(), planned.chunks(),
                        before.createdAt(), null);
            }
            if (planned.complete()) {
                return new Pass(plan, null);
            }
            ResumePoint next = planned.resumePoint();
            LOG.info("job {}: planned to byte {} ({} chunks); handing the rest over", jobId, next.offset(),
                    next.chunks().size());
            return new Pass(null, new PlanningStep(jobId, from == null ? 1 : from.step() + 1, plan, next.dataStart(),
                    next.offset(), next.records(), null, 0, clock.instant()));
        } catch (PipelineException e) {
            return new Pass(JobPlan.rejected(jobId, input, e.toFailure(),
                    from == null ? clock.instant() : from.plan().createdAt()), null);
        }
    }

    /**
     * Writes the checkpoint, unless another delivery wrote it first (then that one hands over), and hands over. The
     * checkpoint counts ingest's requests for the job so far, its own write and the hand-over's two requests included.
     */
    private Outcome handOver(PlanningStep step, Requests before, long beforeMs, Invocation requests) {
        Requests counted = before.plus(requests.requests().requests()).withOnePut().withOneSend().withOnePut();
        PlanningStep checkpoint = new PlanningStep(step.jobId(), step.step(), step.plan(), step.dataStart(),
                step.offset(), step.records(), counted, beforeMs + requests.elapsedMs(), step.writtenAt());
        if (!jobs.createStep(checkpoint)) {
            LOG.info("job {}: step {} was planned by another delivery, which hands over", step.jobId(), step.step());
            return new Outcome(step.plan().input().key(), step.jobId(), Outcome.Status.DUPLICATE,
                    step.plan().chunks().size());
        }
        return sendHandover(checkpoint);
    }

    private Outcome sendHandover(PlanningStep step) {
        planningQueue.send(RecordJson.write(PlanningHandover.of(step.jobId(), step.step())));
        jobs.markHandedOver(step.jobId(), step.step());
        return new Outcome(step.plan().input().key(), step.jobId(), Outcome.Status.PLANNING, step.plan().chunks().size());
    }

    /**
     * Sends the job's tasks (or its rejection) and records that they went out, with ingest's requests for the job:
     * those of the invocations before this one ({@code before}), this one's, and the record's own write.
     */
    private Outcome dispatch(JobPlan plan, Requests before, long beforeMs, Invocation requests) {
        if (plan.isRejected()) {
            resultsQueue.send(RecordJson.write(ResultMessage.jobRejected(plan.jobId(), plan.failure())));
        } else {
            workQueue.send(plan.chunks().stream().map(c -> RecordJson.write(ChunkTask.of(plan.jobId(), c))).toList());
        }
        jobs.markDispatched(plan.jobId(), before.plus(requests.requests().requests()).withOnePut(),
                beforeMs + requests.elapsedMs());
        String key = plan.input().key();
        LOG.info("job {} for {}: {}", plan.jobId(), key, plan.isRejected()
                ? "rejected, " + plan.failure().reason() : plan.chunks().size() + " chunk(s)");
        return new Outcome(key, plan.jobId(), plan.isRejected() ? Outcome.Status.REJECTED : Outcome.Status.STARTED,
                plan.chunks().size());
    }
}
