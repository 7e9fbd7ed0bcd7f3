package dev.batchinference.ingest;

import dev.batchinference.config.PipelineConfig.DataSettings;
import dev.batchinference.config.PipelineConfig.Limits;
import dev.batchinference.failure.FailureReason;
import dev.batchinference.failure.PipelineException;
import dev.batchinference.format.ChunkLimits;
import dev.batchinference.format.ChunkRange;
import dev.batchinference.format.ColumnMapping;
import dev.batchinference.format.InputFormat;
import dev.batchinference.format.OutputFormat;
import dev.batchinference.format.csv.CsvChunkPlanner;
import dev.batchinference.format.parquet.ObjectStoreInputFile;
import dev.batchinference.format.parquet.ParquetPlanner;
import dev.batchinference.format.parquet.PredictionSchema;
import dev.batchinference.job.ChunkTask;
import dev.batchinference.job.InputObject;
import dev.batchinference.job.JobId;
import dev.batchinference.job.JobKeys;
import dev.batchinference.job.JobPlan.Layout;
import dev.batchinference.job.JobPlan;
import dev.batchinference.job.JobStore;
import dev.batchinference.job.ResultMessage;
import dev.batchinference.json.JsonCodec;
import dev.batchinference.model.ModelStore;
import dev.batchinference.queue.MessageSender;
import dev.batchinference.storage.ObjectChangedException;
import dev.batchinference.storage.ObjectStore;
import java.io.InputStream;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import java.util.zip.GZIPInputStream;
import org.apache.parquet.schema.Type;
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
        jobs.markDispatched(jobId);
        LOG.info("job {} for {}: {}", jobId, key, plan.isRejected()
                ? "rejected, " + plan.failure().reason() : plan.chunks().size() + " chunk(s)");
        return new Outcome(key, jobId, plan.isRejected() ? Outcome.Status.REJECTED : Outcome.Status.STARTED,
                plan.chunks().size());
    }

    private JobPlan plan(String jobId, InputObject input) {
        try {
            InputFormat format = InputFormat.of(input.key());
            ModelStore.ResolvedModel model = models.resolveCurrent(input.modelName());
            Layout layout;
            List<ChunkRange> chunks;
            if (format == InputFormat.PARQUET) {
                ParquetPlanner.ParquetPlan parquet = new ParquetPlanner(limits, safety.maxRowGroupBytes()).plan(
                        new ObjectStoreInputFile(store, input.key(), input.etag(), input.size()));
                ColumnMapping mapping = ColumnMapping.plan(parquet.columns(), model.manifest().features(), data.columns());
                ParquetPlanner.checkFeatureTypes(parquet.schema(), mapping.featureColumnNames());
                List<Type> types = mapping.passThroughColumnNames().stream()
                        .map(c -> ParquetPlanner.columnType(parquet.schema(), c)).toList();
                layout = layout(format, parquet.columns(), ',', mapping, model, types);
                chunks = parquet.chunks();
            } else {
                CsvChunkPlanner.CsvPlan csv = planCsv(jobId, input, format);
                ColumnMapping mapping = ColumnMapping.plan(csv.header(), model.manifest().features(), data.columns());
                layout = layout(format, csv.header(), csv.delimiter(), mapping, model, null);
                chunks = csv.chunks();
            }
            return new JobPlan(jobId, input, model.ref(), model.manifest(), layout, chunks, clock.instant(), null);
        } catch (PipelineException e) {
            return JobPlan.rejected(jobId, input, e.toFailure(), clock.instant());
        }
    }

    private CsvChunkPlanner.CsvPlan planCsv(String jobId, InputObject input, InputFormat format) {
        Character delimiter = data.delimiter() != null ? data.delimiter() : InputFormat.delimiterImpliedBy(input.key());
        CsvChunkPlanner planner = new CsvChunkPlanner(limits, delimiter, safety.maxRecordBytes(),
                format == InputFormat.CSV_GZIP ? safety.maxUncompressedBytes() : Long.MAX_VALUE);
        try (InputStream in = store.read(input.key(), input.etag(), 0, input.size())) {
            if (format == InputFormat.CSV) {
                return planner.plan(in);
            }
            // gzip cannot be read from the middle: decompress once here, and stage each chunk as its own object
            try (InputStream unzipped = new GZIPInputStream(in, 64 * 1024)) {
                return planner.plan(unzipped, new CsvChunkPlanner.ChunkStager() {
                    @Override
                    public ObjectStore.AbortableOutputStream open(int chunk) {
                        return store.create(JobKeys.staged(jobId, chunk));
                    }

                    @Override
                    public String keyOf(int chunk) {
                        return JobKeys.staged(jobId, chunk);
                    }
                });
            }
        } catch (ObjectChangedException e) {
            throw new PipelineException(FailureReason.INPUT_CHANGED, "the input was overwritten while it was planned");
        } catch (java.io.IOException | java.io.UncheckedIOException e) {
            Throwable cause = e instanceof java.io.UncheckedIOException ? e.getCause() : e;
            if (format == InputFormat.CSV_GZIP
                    && (cause instanceof java.util.zip.ZipException || cause instanceof java.io.EOFException)) {
                throw new PipelineException(FailureReason.UNREADABLE_INPUT, "not a complete gzip file: "
                        + cause.getMessage());
            }
            throw e instanceof java.io.UncheckedIOException u ? u : new java.io.UncheckedIOException((java.io.IOException) e);
        }
    }

    private Layout layout(InputFormat format, List<String> columns, char delimiter, ColumnMapping mapping,
                          ModelStore.ResolvedModel model, List<Type> passThroughTypes) {
        OutputFormat output = data.outputFormat().orElse(OutputFormat.matching(format));
        String outputSchema = output == OutputFormat.PARQUET
                ? PredictionSchema.of(mapping.outputHeader(model.manifest().labels()), passThroughTypes,
                        mapping.passThroughColumns().length).toString()
                : null;
        return new Layout(format, columns, delimiter, mapping.featureColumnNames(), mapping.passThroughColumnNames(),
                output, data.parquetCompression(), outputSchema);
    }

    private void dispatch(JobPlan plan) {
        if (plan.isRejected()) {
            resultsQueue.send(JsonCodec.write(ResultMessage.jobRejected(plan.jobId(), plan.failure())));
            return;
        }
        workQueue.send(plan.chunks().stream().map(c -> JsonCodec.write(ChunkTask.of(plan.jobId(), c))).toList());
    }
}
