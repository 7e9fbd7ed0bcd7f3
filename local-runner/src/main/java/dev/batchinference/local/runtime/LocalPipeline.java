package dev.batchinference.local.runtime;

import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.amazonaws.services.lambda.runtime.events.S3Event;
import com.amazonaws.services.lambda.runtime.events.SQSBatchResponse;
import com.amazonaws.services.lambda.runtime.events.SQSEvent;
import dev.batchinference.aws.AwsClients;
import dev.batchinference.config.PipelineConfig;
import dev.batchinference.config.PipelineConfig.ChunkLimits;
import dev.batchinference.config.PipelineServices;
import dev.batchinference.ingest.IngestTriggerHandler;
import dev.batchinference.job.InputObject;
import dev.batchinference.job.JobId;
import dev.batchinference.job.JobStore;
import dev.batchinference.job.JobSummary;
import dev.batchinference.local.emulator.EmbeddedS3;
import dev.batchinference.local.emulator.EmbeddedSqs;
import dev.batchinference.model.ModelRef;
import dev.batchinference.model.ModelStore;
import dev.batchinference.results.ResultsWriterHandler;
import dev.batchinference.storage.ObjectStore;
import dev.batchinference.worker.BatchWorkerHandler;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;

/**
 * The three functions on one machine: S3Proxy and ElasticMQ in process on 127.0.0.1, the bucket and
 * queues created as the SAM template declares them, and the real handler classes invoked as Lambda
 * invokes them (an S3 notification per created input object, SQS event sources per queue). Handlers
 * reach the emulators through the ordinary AWS SDK with an endpoint override and nothing else special.
 */
public final class LocalPipeline implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(LocalPipeline.class);
    private static final String REGION = "us-east-1";
    private static final String ACCOUNT = "000000000000";
    /** S3 retries a failed asynchronous Lambda invocation twice. */
    private static final int S3_INVOKE_ATTEMPTS = 3;

    /** How to run: chunking, how many execution environments per function, and hooks for fault injection. */
    public record Options(
            String bucket,
            ChunkLimits chunkLimits,
            int inferenceBatchRows,
            int workerEnvironments,
            int writerEnvironments,
            Duration retryDelay,
            Path dataDir,
            HandlerDecorator workerDecorator,
            HandlerDecorator writerDecorator) {

        public static Options defaults() {
            return new Options("batch-inference", ChunkLimits.defaults(), PipelineConfig.DEFAULT_INFERENCE_BATCH_ROWS,
                    Math.max(1, Runtime.getRuntime().availableProcessors()), 1, Duration.ofSeconds(1), null,
                    HandlerDecorator.NONE, HandlerDecorator.NONE);
        }

        public Options withChunkLimits(ChunkLimits limits) {
            return new Options(bucket, limits, inferenceBatchRows, workerEnvironments, writerEnvironments, retryDelay,
                    dataDir, workerDecorator, writerDecorator);
        }

        public Options withEnvironments(int workers, int writers) {
            return new Options(bucket, chunkLimits, inferenceBatchRows, workers, writers, retryDelay, dataDir,
                    workerDecorator, writerDecorator);
        }

        public Options withDecorators(HandlerDecorator worker, HandlerDecorator writer) {
            return new Options(bucket, chunkLimits, inferenceBatchRows, workerEnvironments, writerEnvironments,
                    retryDelay, dataDir, worker, writer);
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

    private final Options options;
    private final Path scratch;
    private final EmbeddedS3 s3;
    private final EmbeddedSqs sqsServer;
    private final Map<String, String> environment;
    private final PipelineServices services;
    private final SqsClient sqs;
    private final IngestTriggerHandler ingestHandler;
    private final ExecutorService s3Invocations = Executors.newFixedThreadPool(2, daemon("ingest-trigger"));
    private final List<SqsEventSource> eventSources = new ArrayList<>();
    private final List<Thread> pollers = new ArrayList<>();
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicInteger pendingNotifications = new AtomicInteger();

    public static LocalPipeline start(Options options) {
        return new LocalPipeline(options);
    }

    private LocalPipeline(Options options) {
        this.options = options;
        try {
            this.scratch = Files.createTempDirectory("batch-inference-local");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        // on disk, so a large input does not live in this JVM's heap
        this.s3 = EmbeddedS3.onDisk(options.dataDir() != null ? options.dataDir() : scratch.resolve("s3"), 0);
        this.sqsServer = EmbeddedSqs.start(0, REGION, ACCOUNT);
        Map<String, String> env = new HashMap<>();
        env.put(PipelineConfig.BUCKET, options.bucket());
        env.put(PipelineConfig.S3_ENDPOINT, s3.endpoint().toString());
        env.put(PipelineConfig.SQS_ENDPOINT, sqsServer.endpoint().toString());
        env.put(PipelineConfig.REGION, REGION);
        env.put(PipelineConfig.ACCESS_KEY_ID, s3.accessKey());
        env.put(PipelineConfig.SECRET_ACCESS_KEY, s3.secretKey());
        env.put(PipelineConfig.CHUNK_MAX_ROWS, Long.toString(options.chunkLimits().maxRows()));
        env.put(PipelineConfig.CHUNK_MAX_BYTES, Long.toString(options.chunkLimits().maxBytes()));
        env.put(PipelineConfig.INFERENCE_BATCH_ROWS, Integer.toString(options.inferenceBatchRows()));
        env.put(PipelineConfig.MODEL_CACHE_DIR, scratch.resolve("models").toString());

        PipelineConfig bootstrap = PipelineConfig.from(env);
        this.sqs = AwsClients.sqs(bootstrap);
        try (S3Client s3Client = AwsClients.s3(bootstrap)) {
            if (s3Client.listBuckets().buckets().stream().noneMatch(b -> b.name().equals(options.bucket()))) {
                s3Client.createBucket(b -> b.bucket(options.bucket()));
            }
        }
        Queue work = createQueue(QueueSettings.WORK);
        Queue results = createQueue(QueueSettings.RESULTS);
        env.put(PipelineConfig.WORK_QUEUE_URL, work.url);
        env.put(PipelineConfig.RESULTS_QUEUE_URL, results.url);
        this.environment = Map.copyOf(env);
        this.services = newServices();
        this.ingestHandler = new IngestTriggerHandler(newServices());

        for (int i = 0; i < options.workerEnvironments(); i++) {
            poll("batch-worker-" + i, work.url, work.arn, QueueSettings.WORK.batchSize(),
                    options.workerDecorator().decorate(environment, new BatchWorkerHandler(newServices())));
        }
        for (int i = 0; i < options.writerEnvironments(); i++) {
            RequestHandler<SQSEvent, SQSBatchResponse> writer =
                    options.writerDecorator().decorate(environment, new ResultsWriterHandler(newServices()));
            poll("results-writer-" + i, results.url, results.arn, QueueSettings.RESULTS.batchSize(), writer);
            if (i == 0) {
                // the writer also drains the work DLQ, so a chunk that ran out of retries ends its job FAILED
                poll("results-writer-dlq", work.dlqUrl, work.dlqArn, QueueSettings.RESULTS.batchSize(), writer);
            }
        }
    }

    private PipelineServices newServices() {
        return new PipelineServices(PipelineConfig.from(environment));
    }

    private record Queue(String url, String arn, String dlqUrl, String dlqArn) {
    }

    private Queue createQueue(QueueSettings settings) {
        String dlqUrl = sqs.createQueue(b -> b.queueName(settings.dlqName())).queueUrl();
        String dlqArn = arn(dlqUrl);
        String redrive = "{\"deadLetterTargetArn\":\"" + dlqArn + "\",\"maxReceiveCount\":\"" + settings.maxReceiveCount() + "\"}";
        String url = sqs.createQueue(b -> b.queueName(settings.name()).attributes(Map.of(
                QueueAttributeName.VISIBILITY_TIMEOUT, Long.toString(settings.visibilityTimeout().toSeconds()),
                QueueAttributeName.REDRIVE_POLICY, redrive))).queueUrl();
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

    public String bucket() {
        return options.bucket();
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

    /** Uploads a file under {@code incoming/<model>/} and notifies ingest, as S3 would; returns the key. */
    public String submit(Path file, String model) {
        String key = "incoming/" + model + "/" + file.getFileName();
        store().write(key, file);
        notifyCreated(key);
        return key;
    }

    /** Raises the S3 ObjectCreated notification for an existing object; asynchronous, like S3 → Lambda. */
    public void notifyCreated(String key) {
        ObjectStore.StoredObject object = store().head(key)
                .orElseThrow(() -> new IllegalArgumentException("no object at " + key));
        S3Event event = S3Notifications.parse(S3Notifications.objectCreatedJson(bucket(), object, REGION));
        pendingNotifications.incrementAndGet();
        s3Invocations.submit(() -> {
            try {
                for (int attempt = 1; attempt <= S3_INVOKE_ATTEMPTS; attempt++) {
                    try {
                        ingestHandler.handleRequest(event, new LocalContext("ingest-trigger", 900_000));
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

    /** The id of the job an object's current version makes. */
    public String jobIdFor(String key) {
        ObjectStore.StoredObject o = store().head(key).orElseThrow(() -> new IllegalArgumentException("no object at " + key));
        return JobId.of(new InputObject(bucket(), key, o.versionId(), o.etag(), o.size(), o.lastModified()));
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

    /** True while any function is running or a notification is pending; for tests that wait for quiet. */
    public boolean busy() {
        return inFlight.get() > 0 || pendingNotifications.get() > 0;
    }

    @Override
    public void close() {
        eventSources.forEach(SqsEventSource::stop);
        s3Invocations.shutdownNow();
        for (Thread t : pollers) {
            try {
                t.join(5_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        try {
            s3Invocations.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        sqs.close();
        sqsServer.close();
        s3.close();
        deleteRecursively(scratch);
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

    private static java.util.concurrent.ThreadFactory daemon(String name) {
        return r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        };
    }
}
