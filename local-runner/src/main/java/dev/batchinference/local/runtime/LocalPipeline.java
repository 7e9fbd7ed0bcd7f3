package dev.batchinference.local.runtime;

import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.amazonaws.services.lambda.runtime.events.SQSBatchResponse;
import com.amazonaws.services.lambda.runtime.events.SQSEvent;
import dev.batchinference.aws.AwsClients;
import dev.batchinference.aws.PipelineServices;
import dev.batchinference.config.PipelineConfig;
import dev.batchinference.format.ChunkLimits;
import dev.batchinference.ingest.IngestReport;
import dev.batchinference.ingest.JobSweeper;
import dev.batchinference.job.InputObject;
import dev.batchinference.job.JobId;
import dev.batchinference.job.JobKeys;
import dev.batchinference.job.JobStore;
import dev.batchinference.job.JobSummary;
import dev.batchinference.lambda.ingest.IngestTriggerHandler;
import dev.batchinference.lambda.results.ResultsWriterHandler;
import dev.batchinference.lambda.worker.BatchWorkerHandler;
import dev.batchinference.local.emulator.ObjectCreatedListener;
import dev.batchinference.model.ModelRef;
import dev.batchinference.model.ModelStore;
import dev.batchinference.storage.ObjectStore;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.ObjectIdentifier;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;

/**
 * The three functions on one machine, against S3 and SQS given by {@link ServiceEndpoints}: by default
 * S3Proxy and ElasticMQ in process on 127.0.0.1, or an endpoint someone else runs (moto, LocalStack).
 * The bucket and queues are created as the SAM template declares them, and the real handler classes are
 * invoked as Lambda invokes them: ingest on each S3 ObjectCreated notification (S3's own, sent to a queue,
 * where the endpoint can notify; raised by the runtime where it cannot), the worker and the writer by SQS
 * event sources. Handlers reach S3 and SQS through the ordinary AWS SDK with an endpoint override.
 */
public final class LocalPipeline implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(LocalPipeline.class);
    /** S3 retries a failed asynchronous Lambda invocation twice. */
    private static final int S3_INVOKE_ATTEMPTS = 3;
    /** The queue S3 notifies where it can; its receive limit matches S3's attempts at invoking Lambda. */
    private static final QueueSettings NOTIFICATIONS =
            new QueueSettings("incoming-notifications", Duration.ofSeconds(900), S3_INVOKE_ATTEMPTS, 10);
    /** Execution environments of the ingest function, in either way of delivering notifications. */
    private static final int INGEST_ENVIRONMENTS = 2;
    /** S3's smallest part but the last; parts of a multipart upload this runtime makes. */
    private static final int UPLOAD_PART_BYTES = 8 * 1024 * 1024;

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
     * used on other endpoints), hooks for fault injection, and whether uploads trigger ingest at all (off,
     * inputs wait for a sweep).
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
            boolean uploadTrigger) {

        public static Options defaults() {
            return new Options("batch-inference", ChunkLimits.defaults(), PipelineConfig.DEFAULT_INFERENCE_BATCH_ROWS,
                    Math.max(1, Runtime.getRuntime().availableProcessors()), 1, Duration.ofSeconds(1), null,
                    IngestDecorator.NONE, HandlerDecorator.NONE, HandlerDecorator.NONE, true);
        }

        public Options withChunkLimits(ChunkLimits limits) {
            return new Options(bucket, limits, inferenceBatchRows, workerEnvironments, writerEnvironments, retryDelay,
                    dataDir, ingestDecorator, workerDecorator, writerDecorator, uploadTrigger);
        }

        public Options withEnvironments(int workers, int writers) {
            return new Options(bucket, chunkLimits, inferenceBatchRows, workers, writers, retryDelay, dataDir,
                    ingestDecorator, workerDecorator, writerDecorator, uploadTrigger);
        }

        public Options withDecorators(HandlerDecorator worker, HandlerDecorator writer) {
            return new Options(bucket, chunkLimits, inferenceBatchRows, workerEnvironments, writerEnvironments,
                    retryDelay, dataDir, ingestDecorator, worker, writer, uploadTrigger);
        }

        public Options withIngestDecorator(IngestDecorator ingest) {
            return new Options(bucket, chunkLimits, inferenceBatchRows, workerEnvironments, writerEnvironments,
                    retryDelay, dataDir, ingest, workerDecorator, writerDecorator, uploadTrigger);
        }

        public Options withUploadTrigger(boolean on) {
            return new Options(bucket, chunkLimits, inferenceBatchRows, workerEnvironments, writerEnvironments,
                    retryDelay, dataDir, ingestDecorator, workerDecorator, writerDecorator, on);
        }

        public Options withBucket(String name) {
            return new Options(name, chunkLimits, inferenceBatchRows, workerEnvironments, writerEnvironments,
                    retryDelay, dataDir, ingestDecorator, workerDecorator, writerDecorator, uploadTrigger);
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

    private record Queue(String url, String arn, String dlqUrl, String dlqArn) {
    }

    private final Options options;
    private final ServiceEndpoints endpoints;
    private final boolean ownsEndpoints;
    private final Path scratch;
    private final String bucket;
    private final String queuePrefix;
    private final ExecutorService s3Invocations = Executors.newFixedThreadPool(INGEST_ENVIRONMENTS, daemon("ingest-trigger"));
    private final List<SqsEventSource> eventSources = new ArrayList<>();
    private final List<Thread> pollers = new ArrayList<>();
    private final List<String> queueUrls = new ArrayList<>();
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicInteger pendingNotifications = new AtomicInteger();
    private S3Client s3;
    private SqsClient sqs;
    private Map<String, String> environment;
    private PipelineServices services;
    private IngestFunction ingest;
    private ScheduledExecutorService schedule;
    private Notifications notifications;
    private boolean bucketCreated;

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
        LocalPipeline pipeline = new LocalPipeline(options, endpoints, owned, scratch);
        try {
            pipeline.wire();
            return pipeline;
        } catch (RuntimeException e) {
            pipeline.close();
            throw e;
        }
    }

    private LocalPipeline(Options options, ServiceEndpoints endpoints, boolean ownsEndpoints, Path scratch) {
        this.options = options;
        this.endpoints = endpoints;
        this.ownsEndpoints = ownsEndpoints;
        this.scratch = scratch;
        String suffix = endpoints.shared() ? "-" + HexFormat.of().formatHex(new SecureRandom().generateSeed(4)) : "";
        this.bucket = options.bucket() + suffix;
        this.queuePrefix = endpoints.shared() ? bucket + "-" : "";
    }

    private void wire() {
        Map<String, String> env = new HashMap<>();
        env.put(PipelineConfig.BUCKET, bucket);
        env.put(PipelineConfig.S3_ENDPOINT, endpoints.s3().toString());
        env.put(PipelineConfig.SQS_ENDPOINT, endpoints.sqs().toString());
        env.put(PipelineConfig.REGION, endpoints.region());
        env.put(PipelineConfig.ACCESS_KEY_ID, endpoints.accessKeyId());
        env.put(PipelineConfig.SECRET_ACCESS_KEY, endpoints.secretAccessKey());
        env.put(PipelineConfig.CHUNK_MAX_ROWS, Long.toString(options.chunkLimits().maxRows()));
        env.put(PipelineConfig.CHUNK_MAX_BYTES, Long.toString(options.chunkLimits().maxBytes()));
        env.put(PipelineConfig.INFERENCE_BATCH_ROWS, Integer.toString(options.inferenceBatchRows()));
        env.put(PipelineConfig.MODEL_CACHE_DIR, scratch.resolve("models").toString());

        PipelineConfig bootstrap = PipelineConfig.from(env);
        this.s3 = AwsClients.s3(bootstrap);
        this.sqs = AwsClients.sqs(bootstrap);
        createBucket();
        Queue work = createQueue(QueueSettings.WORK);
        Queue results = createQueue(QueueSettings.RESULTS);
        env.put(PipelineConfig.WORK_QUEUE_URL, work.url);
        env.put(PipelineConfig.RESULTS_QUEUE_URL, results.url);
        this.environment = Map.copyOf(env);
        this.services = newServices();
        this.ingest = options.ingestDecorator().decorate(environment,
                IngestFunction.of(new IngestTriggerHandler(newServices())));
        if (!options.uploadTrigger()) {
            this.notifications = Notifications.OFF;
        } else if (endpoints.notifiesNatively() && notifyQueue()) {
            this.notifications = Notifications.NATIVE;
        } else if (endpoints.onObjectCreated(this::objectCreated)) {
            this.notifications = Notifications.EMULATED;
        } else {
            this.notifications = Notifications.RAISED;
        }

        for (int i = 0; i < options.workerEnvironments(); i++) {
            poll("batch-worker-" + i, work.url, work.arn, QueueSettings.WORK.batchSize(),
                    options.workerDecorator().decorate(environment, new BatchWorkerHandler(newServices())));
        }
        for (int i = 0; i < options.writerEnvironments(); i++) {
            RequestHandler<SQSEvent, SQSBatchResponse> writer =
                    options.writerDecorator().decorate(environment, new ResultsWriterHandler(newServices(),
                            LocalWriterIds.prefixOfThisProcess()));
            poll("results-writer-" + i, results.url, results.arn, QueueSettings.RESULTS.batchSize(), writer);
            if (i == 0) {
                // the writer also drains the work DLQ, so a chunk that ran out of retries ends its job FAILED,
                // and its own DLQ, so a result that failed maxReceiveCount times is still handled, later
                poll("results-writer-work-dlq", work.dlqUrl, work.dlqArn, QueueSettings.RESULTS.batchSize(), writer);
                poll("results-writer-results-dlq", results.dlqUrl, results.dlqArn, QueueSettings.RESULTS.batchSize(),
                        writer);
            }
        }
        LOG.info("pipeline on {} ({} bucket {}, notifications {})", endpoints, endpoints.shared() ? "shared" : "own",
                bucket, notifications);
    }

    private void createBucket() {
        if (s3.listBuckets().buckets().stream().anyMatch(b -> b.name().equals(bucket))) {
            return;
        }
        String region = endpoints.region();
        // us-east-1 is the one region S3 wants no location constraint for
        s3.createBucket(b -> {
            b.bucket(bucket);
            if (!"us-east-1".equals(region)) {
                b.createBucketConfiguration(c -> c.locationConstraint(region));
            }
        });
        bucketCreated = true;
    }

    /** S3 → SQS for created inputs, read back into ingest; false where this S3 cannot notify. */
    private boolean notifyQueue() {
        Queue incoming = createQueue(NOTIFICATIONS);
        sqs.setQueueAttributes(b -> b.queueUrl(incoming.url).attributes(Map.of(
                QueueAttributeName.POLICY, S3NotificationQueue.policyAllowingS3(incoming.arn, bucket))));
        if (!S3NotificationQueue.configure(s3, bucket, incoming.arn)) {
            return false;
        }
        RequestHandler<SQSEvent, SQSBatchResponse> fromQueue = S3NotificationQueue.ingestFrom(ingest);
        for (int i = 0; i < INGEST_ENVIRONMENTS; i++) {
            poll("ingest-trigger-" + i, incoming.url, incoming.arn, NOTIFICATIONS.batchSize(), fromQueue);
        }
        return true;
    }

    private PipelineServices newServices() {
        return new PipelineServices(PipelineConfig.from(environment));
    }

    private Queue createQueue(QueueSettings settings) {
        String dlqUrl = sqs.createQueue(b -> b.queueName(queuePrefix + settings.dlqName())).queueUrl();
        queueUrls.add(dlqUrl);
        String dlqArn = arn(dlqUrl);
        String redrive = "{\"deadLetterTargetArn\":\"" + dlqArn + "\",\"maxReceiveCount\":\"" + settings.maxReceiveCount() + "\"}";
        String url = sqs.createQueue(b -> b.queueName(queuePrefix + settings.name()).attributes(Map.of(
                QueueAttributeName.VISIBILITY_TIMEOUT, Long.toString(settings.visibilityTimeout().toSeconds()),
                QueueAttributeName.REDRIVE_POLICY, redrive))).queueUrl();
        queueUrls.add(url);
        return new Queue(url, arn(url), dlqUrl, dlqArn);
    }

    private String arn(String queueUrl) {
        return sqs.getQueueAttributes(b -> b.queueUrl(queueUrl).attributeNames(QueueAttributeName.QUEUE_ARN))
                .attributes().get(QueueAttributeName.QUEUE_ARN);
    }

    private void poll(String name, String url, String arn, int batchSize, RequestHandler<SQSEvent, SQSBatchResponse> handler) {
        SqsEventSource source = new SqsEventSource(name, sqs, url, arn, batchSize, handler, options.retryDelay(), inFlight);
        Thread thread = daemon(name).newThread(source);
        eventSources.add(source);
        pollers.add(thread);
        thread.start();
    }

    /** The environment the functions run with: the same variable names the SAM template sets. */
    public Map<String, String> environment() {
        return environment;
    }

    /** The bucket's name: {@link Options#bucket()}, with a suffix of its own on shared endpoints. */
    public String bucket() {
        return bucket;
    }

    /** How ObjectCreated notifications reach ingest on these endpoints. */
    public Notifications notifications() {
        return notifications;
    }

    public ObjectStore store() {
        return services.store();
    }

    public JobStore jobs() {
        return new JobStore(services.store());
    }

    public ModelStore models() {
        return services.models();
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
        long size;
        try {
            size = Files.size(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (size > UPLOAD_PART_BYTES) {
            putMultipart(key, file);
        } else {
            put(key, file);
        }
        return key;
    }

    /** Uploads a file in one PUT, as most clients do; S3 then notifies {@code ObjectCreated:Put}. */
    public void put(String key, Path file) {
        store().write(key, file);
        created(key);
    }

    /**
     * Uploads a file with a multipart upload, as clients do with large files (8 MiB parts; a smaller file
     * is one part); S3 then notifies {@code ObjectCreated:CompleteMultipartUpload}.
     */
    public void putMultipart(String key, Path file) {
        String uploadId = s3.createMultipartUpload(b -> b.bucket(bucket).key(key)).uploadId();
        try (InputStream in = Files.newInputStream(file)) {
            long size = Files.size(file);
            int count = (int) Math.max(1, (size + UPLOAD_PART_BYTES - 1) / UPLOAD_PART_BYTES);
            List<CompletedPart> parts = new ArrayList<>();
            for (int number = 1; number <= count; number++) {
                byte[] part = in.readNBytes(UPLOAD_PART_BYTES);
                int partNumber = number;
                String etag = s3.uploadPart(b -> b.bucket(bucket).key(key).uploadId(uploadId).partNumber(partNumber),
                        RequestBody.fromBytes(part)).eTag();
                parts.add(CompletedPart.builder().partNumber(number).eTag(etag).build());
            }
            s3.completeMultipartUpload(b -> b.bucket(bucket).key(key).uploadId(uploadId).multipartUpload(m -> m.parts(parts)));
        } catch (IOException | RuntimeException e) {
            try {
                s3.abortMultipartUpload(b -> b.bucket(bucket).key(key).uploadId(uploadId));
            } catch (RuntimeException abortFailed) {
                e.addSuppressed(abortFailed);
            }
            throw e instanceof IOException io ? new UncheckedIOException(io) : (RuntimeException) e;
        }
        created(key);
    }

    /** The embedded S3's word of a created object: S3's notification, filtered as the template's trigger is. */
    private void objectCreated(String createdIn, String key) {
        if (bucket.equals(createdIn) && key.startsWith(JobKeys.INCOMING)) {
            raiseCreated(key);
        }
    }

    /** After an upload: S3 notifies by itself, or the runtime does in its place. */
    private void created(String key) {
        if (notifications == Notifications.RAISED) {
            raiseCreated(key);
        }
    }

    /** Raises the S3 ObjectCreated notification for an existing object; asynchronous, like S3 → Lambda. */
    private void raiseCreated(String key) {
        pendingNotifications.incrementAndGet();
        s3Invocations.submit(() -> {
            try {
                Optional<ObjectStore.StoredObject> object = store().head(key);
                if (object.isEmpty()) {
                    return; // gone again before S3 would have notified
                }
                String event = S3Notifications.objectCreatedJson(bucket, object.get(), endpoints.region());
                for (int attempt = 1; attempt <= S3_INVOKE_ATTEMPTS; attempt++) {
                    try {
                        ingest.invoke(event, new LocalContext("ingest-trigger", 900_000));
                        return;
                    } catch (RuntimeException e) {
                        LOG.warn("ingest-trigger failed on {} (attempt {} of {}): {}", key, attempt, S3_INVOKE_ATTEMPTS,
                                e.toString());
                    }
                }
            } finally {
                pendingNotifications.decrementAndGet();
            }
        });
    }

    /**
     * Fires the schedule once: ingest-trigger gets EventBridge's "Scheduled Event" and sweeps, as the
     * deployed stack's schedule makes it do.
     */
    public IngestReport sweep() {
        String event = "{\"version\":\"0\",\"id\":\"" + java.util.UUID.randomUUID() + "\",\"detail-type\":\"Scheduled Event\","
                + "\"source\":\"aws.events\",\"account\":\"" + EmbeddedEmulators.ACCOUNT + "\",\"time\":\""
                + java.time.Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS) + "\",\"region\":\""
                + endpoints.region() + "\",\"resources\":[\"arn:aws:events:" + endpoints.region() + ":"
                + EmbeddedEmulators.ACCOUNT + ":rule/local-schedule\"],\"detail\":{}}";
        return ingest.invoke(event, new LocalContext("ingest-trigger", 900_000));
    }

    /** Fires the schedule every {@code interval} from now until close; errors are logged, not fatal. */
    public synchronized void schedule(Duration interval) {
        if (schedule != null) {
            throw new IllegalStateException("a schedule is running already");
        }
        schedule = Executors.newSingleThreadScheduledExecutor(daemon("schedule"));
        schedule.scheduleWithFixedDelay(() -> {
            try {
                sweep();
            } catch (RuntimeException e) {
                LOG.warn("the scheduled run failed: {}", e.toString());
            }
        }, interval.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
    }

    /**
     * After a restart on a bucket that outlived the last run (the queues did not): starts inputs that have no
     * job and re-drives every unfinished job, so work in flight at the stop is finished, each row once. A job the
     * last run was collating is collated again at once: the locks its stopped writers held are handed back first.
     */
    public JobSweeper.SweepReport resume() {
        PipelineServices s = newServices();
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
        return inFlight.get() > 0 || pendingNotifications.get() > 0;
    }

    @Override
    public void close() {
        if (schedule != null) {
            schedule.shutdownNow();
        }
        endpoints.onObjectCreated(ObjectCreatedListener.NONE);
        eventSources.forEach(SqsEventSource::stop);
        s3Invocations.shutdownNow();
        for (int i = 0; i < pollers.size(); i++) {
            if (!eventSources.get(i).invoking()) {
                continue; // idle in a long poll of up to a second: not worth waiting for, it ends when SQS closes
            }
            try {
                pollers.get(i).join(5_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        try {
            s3Invocations.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            if (endpoints.shared()) {
                removeOwnState();
            }
        } finally {
            if (sqs != null) {
                sqs.close();
            }
            if (s3 != null) {
                s3.close();
            }
            if (ownsEndpoints) {
                endpoints.close();
            }
            deleteRecursively(scratch);
        }
    }

    /** On a shared endpoint: this run's queues and bucket go, so runs do not pile up in a long-lived emulator. */
    private void removeOwnState() {
        for (String url : queueUrls) {
            try {
                sqs.deleteQueue(b -> b.queueUrl(url));
            } catch (RuntimeException e) {
                LOG.warn("could not delete queue {}: {}", url, e.toString());
            }
        }
        if (!bucketCreated) {
            return;
        }
        try {
            List<String> keys = services != null ? services.store().list("") : List.of();
            for (int i = 0; i < keys.size(); i += 1000) {
                List<ObjectIdentifier> batch = keys.subList(i, Math.min(keys.size(), i + 1000)).stream()
                        .map(k -> ObjectIdentifier.builder().key(k).build()).toList();
                s3.deleteObjects(b -> b.bucket(bucket).delete(d -> d.objects(batch).quiet(true)));
            }
            s3.deleteBucket(b -> b.bucket(bucket));
        } catch (RuntimeException e) {
            LOG.warn("could not remove bucket {}: {}", bucket, e.toString());
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

    private static ThreadFactory daemon(String name) {
        return r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        };
    }
}
