package dev.batchinference.local.runtime;

import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.amazonaws.services.lambda.runtime.events.SQSBatchResponse;
import com.amazonaws.services.lambda.runtime.events.SQSEvent;
import dev.batchinference.aws.PipelineServices;
import dev.batchinference.config.PipelineConfig;
import dev.batchinference.format.ChunkLimits;
import dev.batchinference.ingest.IngestReport;
import dev.batchinference.ingest.JobSweeper;
import dev.batchinference.job.InputObject;
import dev.batchinference.job.JobId;
import dev.batchinference.job.JobStore;
import dev.batchinference.job.JobSummary;
import dev.batchinference.model.ModelRef;
import dev.batchinference.model.ModelStore;
import dev.batchinference.storage.ObjectStore;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The three functions on one machine, against S3 and SQS given by {@link ServiceEndpoints}: by default
 * S3Proxy and ElasticMQ in process on 127.0.0.1, or an endpoint someone else runs (moto, LocalStack).
 * The bucket and queues are created as the SAM template declares them, and the real handler classes are
 * invoked as Lambda invokes them: ingest on each S3 ObjectCreated notification (S3's own, sent to a queue,
 * where the endpoint can notify; raised by the runtime where it cannot), the worker and the writer by SQS
 * event sources. Handlers reach S3 and SQS through the ordinary AWS SDK with an endpoint override.
 *
 * <p>This is the runtime as its users meet it: start, upload, sweep, wait for a job, stop. The wiring of the
 * functions is {@link LocalFunctions}'s; uploads are {@link InputUploads}'s, invocations of ingest
 * {@link IngestInvocations}'.
 */
public final class LocalPipeline implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(LocalPipeline.class);

    /** How S3 ObjectCreated notifications reach the ingest function. */
    public enum Notifications {
        /** S3 notifies an SQS queue; the runtime reads it and hands ingest each notification as S3 wrote it. */
        NATIVE,
        /**
         * The embedded S3 has no notifications but tells the runtime of every object created, by any client
         * (the aws CLI, boto3): the runtime raises S3's notification for those under {@code incoming/}.
         */
        EMULATED,
        /** S3 here has no notifications: the runtime raises S3's notification itself after its own uploads. */
        RAISED,
        /** The upload trigger is off, as a deployment that processes inputs in scheduled windows has it. */
        OFF
    }

    /**
     * How to run: the bucket's name, chunking, how many execution environments per function, how soon a
     * failed message comes back, where the embedded S3 keeps its objects (a temporary folder if null; not
     * used on other endpoints), hooks for fault injection, whether uploads trigger ingest at all (off,
     * inputs wait for a sweep), and further settings for the functions' environment by variable name
     * ({@code MAX_REJECTED_PERCENT}, {@code CSV_DELIMITER}, ...), which the runtime's own (bucket, queues,
     * endpoints, chunk limits) override.
     */
    public record Options(
            String bucket,
            ChunkLimits chunkLimits,
            int inferenceBatchRows,
            int workerEnvironments,
            int writerEnvironments,
            Duration retryDelay,
            Path dataDir,
            IngestDecorator ingestDecorator,
            HandlerDecorator workerDecorator,
            HandlerDecorator writerDecorator,
            boolean uploadTrigger,
            Map<String, String> settings) {

        public Options {
            settings = Map.copyOf(settings);
        }

        public static Options defaults() {
            return new Options("batch-inference", ChunkLimits.defaults(), PipelineConfig.DEFAULT_INFERENCE_BATCH_ROWS,
                    Math.max(1, Runtime.getRuntime().availableProcessors()), 1, Duration.ofSeconds(1), null,
                    IngestDecorator.NONE, HandlerDecorator.NONE, HandlerDecorator.NONE, true, Map.of());
        }

        public Options withChunkLimits(ChunkLimits limits) {
            return new Options(bucket, limits, inferenceBatchRows, workerEnvironments, writerEnvironments, retryDelay,
                    dataDir, ingestDecorator, workerDecorator, writerDecorator, uploadTrigger, settings);
        }

        public Options withEnvironments(int workers, int writers) {
            return new Options(bucket, chunkLimits, inferenceBatchRows, workers, writers, retryDelay, dataDir,
                    ingestDecorator, workerDecorator, writerDecorator, uploadTrigger, settings);
        }

        public Options withDecorators(HandlerDecorator worker, HandlerDecorator writer) {
            return new Options(bucket, chunkLimits, inferenceBatchRows, workerEnvironments, writerEnvironments,
                    retryDelay, dataDir, ingestDecorator, worker, writer, uploadTrigger, settings);
        }

        public Options withIngestDecorator(IngestDecorator ingest) {
            return new Options(bucket, chunkLimits, inferenceBatchRows, workerEnvironments, writerEnvironments,
                    retryDelay, dataDir, ingest, workerDecorator, writerDecorator, uploadTrigger, settings);
        }

        public Options withUploadTrigger(boolean on) {
            return new Options(bucket, chunkLimits, inferenceBatchRows, workerEnvironments, writerEnvironments,
                    retryDelay, dataDir, ingestDecorator, workerDecorator, writerDecorator, on, settings);
        }

        public Options withSettings(Map<String, String> more) {
            return new Options(bucket, chunkLimits, inferenceBatchRows, workerEnvironments, writerEnvironments,
                    retryDelay, dataDir, ingestDecorator, workerDecorator, writerDecorator, uploadTrigger, more);
        }

        public Options withBucket(String name) {
            return new Options(name, chunkLimits, inferenceBatchRows, workerEnvironments, writerEnvironments,
                    retryDelay, dataDir, ingestDecorator, workerDecorator, writerDecorator, uploadTrigger, settings);
        }
    }

    /**
     * Wraps an SQS-fed function's handler, knowing the environment the functions run with (queue URLs,
     * endpoints): how tests inject crashes, duplicates and delays at the points Lambda would meet them.
     */
    @FunctionalInterface
    public interface HandlerDecorator {
        HandlerDecorator NONE = (environment, handler) -> handler;

        RequestHandler<SQSEvent, SQSBatchResponse> decorate(Map<String, String> environment,
                                                            RequestHandler<SQSEvent, SQSBatchResponse> handler);
    }

    /** Wraps the ingest function's handler, as {@link HandlerDecorator} does the SQS-fed ones. */
    @FunctionalInterface
    public interface IngestDecorator {
        IngestDecorator NONE = (environment, handler) -> handler;

        IngestFunction decorate(Map<String, String> environment, IngestFunction handler);
    }

    private final ServiceEndpoints endpoints;
    private final boolean ownsEndpoints;
    private final Path scratch;
    private final String bucket;
    private final LocalFunctions functions;
    private final InputUploads uploads;

    /** Starts the pipeline on S3Proxy and ElasticMQ in this JVM; closing the pipeline stops them. */
    public static LocalPipeline start(Options options) {
        Path scratch = createScratch();
        EmbeddedEmulators emulators;
        try {
            emulators = EmbeddedEmulators.start(options.dataDir() != null ? options.dataDir() : scratch.resolve("s3"));
        } catch (RuntimeException e) {
            deleteRecursively(scratch);
            throw e;
        }
        return start(options, emulators, true, scratch);
    }

    /**
     * Starts the pipeline on S3 and SQS at the given endpoints, which the caller keeps and closes. On
     * {@linkplain ServiceEndpoints#shared() shared} endpoints the bucket and queues get names of their own
     * (the bucket's is {@link #bucket()}) and are removed on close.
     */
    public static LocalPipeline start(Options options, ServiceEndpoints endpoints) {
        return start(options, endpoints, false, createScratch());
    }

    private static LocalPipeline start(Options options, ServiceEndpoints endpoints, boolean owned, Path scratch) {
        String suffix = endpoints.shared() ? "-" + HexFormat.of().formatHex(new SecureRandom().generateSeed(4)) : "";
        String bucket = options.bucket() + suffix;
        LocalFunctions functions;
        try {
            functions = LocalFunctions.start(options, endpoints, bucket, endpoints.shared() ? bucket + "-" : "", scratch);
        } catch (RuntimeException e) {
            closeEndpoints(endpoints, owned, scratch);
            throw e;
        }
        LocalPipeline pipeline = new LocalPipeline(endpoints, owned, scratch, bucket, functions);
        LOG.info("pipeline on {} ({} bucket {}, notifications {})", endpoints, endpoints.shared() ? "shared" : "own",
                bucket, pipeline.notifications());
        return pipeline;
    }

    private LocalPipeline(ServiceEndpoints endpoints, boolean ownsEndpoints, Path scratch, String bucket,
                          LocalFunctions functions) {
        this.endpoints = endpoints;
        this.ownsEndpoints = ownsEndpoints;
        this.scratch = scratch;
        this.bucket = bucket;
        this.functions = functions;
        this.uploads = new InputUploads(functions.s3(), functions.services().store(), bucket);
    }

    /** The environment the functions run with: the same variable names the SAM template sets. */
    public Map<String, String> environment() {
        return functions.environment();
    }

    /** The bucket's name: {@link Options#bucket()}, with a suffix of its own on shared endpoints. */
    public String bucket() {
        return bucket;
    }

    /** How ObjectCreated notifications reach ingest on these endpoints. */
    public Notifications notifications() {
        return functions.notifications();
    }

    public ObjectStore store() {
        return functions.services().store();
    }

    public JobStore jobs() {
        return new JobStore(functions.services().store());
    }

    public ModelStore models() {
        return functions.services().models();
    }

    /** Publishes a model folder (manifest.json + ONNX file) and makes that version current. */
    public ModelRef publishModel(Path modelDir) {
        ModelStore.LocalModel local = ModelStore.readLocal(modelDir);
        ModelRef ref = models().publish(local.onnxFile(), local.manifest());
        models().promote(ref);
        return ref;
    }

    /**
     * Uploads a file under {@code incoming/<model>/}; S3's notification starts its job. Returns the key.
     * As the aws CLI does, a file over one part (8 MiB) goes up in a multipart upload: S3Proxy holds a
     * PUT's whole body in its heap to check the payload's signature, and in this JVM a file larger than
     * the heap would not fit.
     */
    public String submit(Path file, String model) {
        return submit(file, model, file.getFileName().toString());
    }

    /** As {@link #submit(Path, String)}, under another file name: {@code incoming/<model>/<name>}. */
    public String submit(Path file, String model, String name) {
        String key = "incoming/" + model + "/" + name;
        uploads.upload(key, file);
        created(key);
        return key;
    }

    /** Uploads a file in one PUT, as most clients do; S3 then notifies {@code ObjectCreated:Put}. */
    public void put(String key, Path file) {
        uploads.put(key, file);
        created(key);
    }

    /**
     * Uploads a file with a multipart upload, as clients do with large files (8 MiB parts; a smaller file
     * is one part); S3 then notifies {@code ObjectCreated:CompleteMultipartUpload}.
     */
    public void putMultipart(String key, Path file) {
        uploads.putMultipart(key, file);
        created(key);
    }

    /** After an upload: S3 notifies by itself, or the runtime does in its place. */
    private void created(String key) {
        if (notifications() == Notifications.RAISED) {
            functions.invocations().objectCreated(key);
        }
    }

    /**
     * Fires the schedule once: ingest-trigger gets EventBridge's "Scheduled Event" and sweeps, as the
     * deployed stack's schedule makes it do.
     */
    public IngestReport sweep() {
        return functions.invocations().sweep();
    }

    /** Fires the schedule every {@code interval} from now until close; errors are logged, not fatal. */
    public void schedule(Duration interval) {
        functions.invocations().schedule(interval);
    }

    /**
     * After a restart on a bucket that outlived the last run (the queues did not): starts inputs that have no
     * job and re-drives every unfinished job, so work in flight at the stop is finished, each row once. A job the
     * last run was collating is collated again at once: the locks its stopped writers held are handed back first.
     */
    public JobSweeper.SweepReport resume() {
        PipelineServices s = functions.newServices();
        StoppedWriters.releaseLocks(s.store(), endpoints.s3());
        java.time.Clock clock = java.time.Clock.systemUTC();
        return s.sweeper(s.ingestor(clock), clock).resume();
    }

    /** The id of the job an object's current version makes. */
    public String jobIdFor(String key) {
        ObjectStore.StoredObject o = store().head(key).orElseThrow(() -> new IllegalArgumentException("no object at " + key));
        return JobId.of(new InputObject(bucket, key, o.versionId(), o.etag(), o.size(), o.lastModified()));
    }

    /** Waits until the job has ended, or the timeout passes (then empty). */
    public Optional<JobSummary> awaitEnd(String jobId, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        JobStore jobs = jobs();
        while (System.nanoTime() < deadline) {
            Optional<JobSummary> end = jobs.terminal(jobId);
            if (end.isPresent()) {
                return end;
            }
            sleep(100);
        }
        return Optional.empty();
    }

    /**
     * True while any function is running or a raised notification is pending; for tests that wait for
     * quiet. A notification S3 has queued but no ingest environment has received yet does not count.
     */
    public boolean busy() {
        return functions.busy();
    }

    @Override
    public void close() {
        try {
            functions.close();
        } finally {
            closeEndpoints(endpoints, ownsEndpoints, scratch);
        }
    }

    private static void closeEndpoints(ServiceEndpoints endpoints, boolean owned, Path scratch) {
        try {
            if (owned) {
                endpoints.close();
            }
        } finally {
            deleteRecursively(scratch);
        }
    }

    private static Path createScratch() {
        try {
            return Files.createTempDirectory("batch-inference-local");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void deleteRecursively(Path dir) {
        try (var paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            LOG.debug("could not remove {}: {}", dir, e.toString());
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
