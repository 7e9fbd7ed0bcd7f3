package dev.batchinference.inference;

import dev.batchinference.failure.FailureReason;
import dev.batchinference.failure.PipelineException;
import dev.batchinference.format.ColumnMapping;
import dev.batchinference.format.OutputCsv;
import dev.batchinference.format.PredictionWriter;
import dev.batchinference.format.RowReader;
import dev.batchinference.job.ChunkResult;
import dev.batchinference.job.ChunkTask;
import dev.batchinference.job.JobKeys;
import dev.batchinference.job.JobPlan;
import dev.batchinference.job.JobStore;
import dev.batchinference.job.ResultMessage;
import dev.batchinference.json.RecordJson;
import dev.batchinference.layout.Formats;
import dev.batchinference.metering.RequestCounts;
import dev.batchinference.model.ModelCache;
import dev.batchinference.model.ModelStore;
import dev.batchinference.model.OnnxModel;
import dev.batchinference.queue.MessageSender;
import dev.batchinference.storage.ObjectChangedException;
import dev.batchinference.storage.ObjectStore;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.commons.csv.CSVPrinter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Predicts one chunk of a job: reads only the chunk's byte range of the pinned input version, writes
 * the chunk's predictions (and rejected rows) under {@code jobs/<jobId>/parts/}, then reports the chunk
 * done. Repeating a chunk rewrites the same parts, so duplicate deliveries are harmless. A permanent
 * failure (bad model, changed input) is reported to the results writer instead of being retried.
 */
public final class ChunkWorker {
    private static final Logger LOG = LoggerFactory.getLogger(ChunkWorker.class);
    private static final int PLAN_CACHE_LIMIT = 64;

    private final ObjectStore store;
    private final JobStore jobs;
    private final ModelStore models;
    private final ModelCache modelCache;
    private final MessageSender resultsQueue;
    private final int batchRows;
    private final Map<String, JobPlan> plans = new ConcurrentHashMap<>();

    public ChunkWorker(ObjectStore store, ModelStore models, ModelCache modelCache, MessageSender resultsQueue,
                       int batchRows) {
        this.store = store;
        this.jobs = new JobStore(store);
        this.models = models;
        this.modelCache = modelCache;
        this.resultsQueue = resultsQueue;
        this.batchRows = batchRows;
    }

    /** Processes one work-queue message; throws only for failures worth retrying. */
    public ChunkOutcome process(String messageBody) {
        try (RequestCounts.Tally requests = RequestCounts.open()) {
            return process(messageBody, requests);
        }
    }

    private ChunkOutcome process(String messageBody, RequestCounts.Tally requests) {
        long started = System.nanoTime();
        ChunkTask task = RecordJson.read(messageBody, ChunkTask.class);
        if (jobs.isDone(task.jobId(), task.chunk().index())) {
            LOG.info("job {} chunk {} is done already: duplicate task", task.jobId(), task.chunk().index());
            return ChunkOutcome.duplicate(task.jobId(), task.chunk().index());
        }
        try {
            // the chunk's requests travel with its result, the message that carries them counted in
            ChunkResult result = predict(task, started).withRequests(requests.requests().withOneSend());
            resultsQueue.send(RecordJson.write(ResultMessage.chunkDone(task.jobId(), result)));
            return ChunkOutcome.predicted(task.jobId(), result);
        } catch (PipelineException e) {
            LOG.warn("job {} chunk {} failed: {} {}", task.jobId(), task.chunk().index(), e.reason(), e.getMessage());
            resultsQueue.send(RecordJson.write(ResultMessage.chunkFailed(task.jobId(), task.chunk().index(), e.toFailure())));
            return ChunkOutcome.failed(task.jobId(), task.chunk().index(), e.reason());
        }
    }

    private ChunkResult predict(ChunkTask task, long started) {
        JobPlan plan = plan(task.jobId());
        JobPlan.Layout layout = plan.layout();
        long loading = System.nanoTime();
        boolean[] loaded = {false};
        OnnxModel model = modelCache.get(plan.model(), plan.manifest(), () -> {
            loaded[0] = true;
            return models.loadVerified(plan.model(), plan.manifest());
        });
        long modelLoadMs = loaded[0] ? (System.nanoTime() - loading) / 1_000_000 : 0;
        ColumnMapping mapping = layout.mapping();
        ChunkPredictor predictor = new ChunkPredictor(model, mapping.passThroughColumns().length, batchRows);
        int chunk = task.chunk().index();
        try {
            Path predictions = Files.createTempFile("chunk-" + chunk, layout.output().extension());
            Path errors = Files.createTempFile("chunk-" + chunk, ".errors.csv");
            try {
                ChunkResult result;
                try (RowReader rows = Formats.openChunk(store, plan, task.chunk());
                     PredictionWriter out = Formats.openPart(layout, predictions, plan.manifest().labels());
                     Writer rejected = writer(errors);
                     CSVPrinter rejects = new CSVPrinter(rejected, OutputCsv.FORMAT)) {
                    result = predictor.predict(chunk, rows, out, rejects);
                }
                long t0 = System.nanoTime();
                // both parts exist before the chunk is reported done; the writer reads them only after that.
                // Written once: a duplicate task running at the same time computes the same bytes, and
                // leaving the first copy in place means collation never reads a part being rewritten
                if (result.rowsRejected() > 0) {
                    store.writeIfAbsent(JobKeys.errorsPart(task.jobId(), chunk), errors);
                }
                store.writeIfAbsent(JobKeys.part(task.jobId(), chunk, layout.output()), predictions);
                long uploadMs = (System.nanoTime() - t0) / 1_000_000;
                return new ChunkResult(chunk, result.rowsIn(), result.rowsOut(), result.rowsRejected(),
                        result.parseMs(), result.inferMs(), result.writeMs() + uploadMs, modelLoadMs,
                        (System.nanoTime() - started) / 1_000_000);
            } finally {
                Files.deleteIfExists(predictions);
                Files.deleteIfExists(errors);
            }
        } catch (ObjectChangedException e) {
            throw new PipelineException(FailureReason.INPUT_CHANGED, "the input " + plan.input().key()
                    + " was overwritten after its job started; upload it again to predict the new version");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private JobPlan plan(String jobId) {
        JobPlan cached = plans.get(jobId);
        if (cached != null) {
            return cached;
        }
        JobPlan plan = jobs.plan(jobId).orElseThrow(() -> new PipelineException(FailureReason.UNREADABLE_INPUT,
                "job " + jobId + " has no plan (its state under jobs/ was deleted?)"));
        if (plans.size() >= PLAN_CACHE_LIMIT) {
            plans.clear();
        }
        plans.put(jobId, plan);
        return plan;
    }

    private static Writer writer(Path file) throws IOException {
        return new BufferedWriter(Files.newBufferedWriter(file, StandardCharsets.UTF_8), 1 << 16);
    }
}
