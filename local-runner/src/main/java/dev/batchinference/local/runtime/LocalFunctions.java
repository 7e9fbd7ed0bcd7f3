package dev.batchinference.local.runtime;

import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.amazonaws.services.lambda.runtime.events.SQSBatchResponse;
import com.amazonaws.services.lambda.runtime.events.SQSEvent;
import dev.batchinference.aws.AwsClients;
import dev.batchinference.aws.PipelineServices;
import dev.batchinference.config.PipelineConfig;
import dev.batchinference.job.JobKeys;
import dev.batchinference.lambda.ingest.IngestTriggerHandler;
import dev.batchinference.lambda.results.ResultsWriterHandler;
import dev.batchinference.lambda.worker.BatchWorkerHandler;
import dev.batchinference.local.emulator.ObjectCreatedListener;
import dev.batchinference.local.runtime.LocalPipeline.Notifications;
import dev.batchinference.local.runtime.LocalPipeline.Options;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.sqs.SqsClient;

/**
 * The three functions wired on S3 and SQS endpoints as the SAM template wires them: the function
 * environment, the bucket and queues, ingest behind S3's notifications (however these endpoints can
 * deliver them) and the schedule, the worker and the writer behind their SQS event sources.
 */
final class LocalFunctions implements AutoCloseable {
    /** The queue S3 notifies where it can; its receive limit matches S3's attempts at invoking Lambda. */
    private static final QueueSettings NOTIFICATIONS = new QueueSettings("incoming-notifications",
            Duration.ofSeconds(900), IngestInvocations.S3_INVOKE_ATTEMPTS, 10, Duration.ZERO);

    private final Options options;
    private final ServiceEndpoints endpoints;
    private final String bucket;
    private S3Client s3;
    private SqsClient sqs;
    private PipelineResources resources;
    private EventSourcePollers pollers;
    private Map<String, String> environment;
    private PipelineServices services;
    private IngestFunction ingest;
    private IngestInvocations invocations;
    private Notifications notifications;

    private LocalFunctions(Options options, ServiceEndpoints endpoints, String bucket) {
        this.options = options;
        this.endpoints = endpoints;
        this.bucket = bucket;
    }

    /**
     * Creates the bucket and queues (queue names prefixed by {@code queuePrefix}) and starts the functions;
     * what was started is stopped again if a step fails.
     */
    static LocalFunctions start(Options options, ServiceEndpoints endpoints, String bucket, String queuePrefix,
                                Path scratch) {
        LocalFunctions functions = new LocalFunctions(options, endpoints, bucket);
        try {
            functions.wire(queuePrefix, scratch);
            return functions;
        } catch (RuntimeException e) {
            functions.close();
            throw e;
        }
    }

    private void wire(String queuePrefix, Path scratch) {
        Map<String, String> env = new HashMap<>(options.settings());
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
        this.resources = new PipelineResources(s3, sqs, bucket, endpoints.region(), queuePrefix);
        this.pollers = new EventSourcePollers(sqs, options.retryDelay());
        resources.createBucket();
        PipelineResources.Queue work = resources.createQueue(QueueSettings.WORK);
        PipelineResources.Queue results = resources.createQueue(QueueSettings.RESULTS);
        PipelineResources.Queue planning = resources.createQueue(QueueSettings.PLANNING);
        env.put(PipelineConfig.WORK_QUEUE_URL, work.url());
        env.put(PipelineConfig.RESULTS_QUEUE_URL, results.url());
        env.put(PipelineConfig.PLANNING_QUEUE_URL, planning.url());
        this.environment = Map.copyOf(env);
        this.services = newServices();
        this.ingest = options.ingestDecorator().decorate(environment,
                IngestFunction.of(new IngestTriggerHandler(newServices())));
        this.invocations = new IngestInvocations(ingest, services.store(), bucket, endpoints.region());
        if (!options.uploadTrigger()) {
            this.notifications = Notifications.OFF;
        } else if (endpoints.notifiesNatively() && notifyQueue()) {
            this.notifications = Notifications.NATIVE;
        } else if (endpoints.onObjectCreated(this::objectCreated)) {
            this.notifications = Notifications.EMULATED;
        } else {
            this.notifications = Notifications.RAISED;
        }

        // planning handed over from one ingest invocation to the next, and its dead letters (their jobs ended),
        // each read by an ingest environment of its own, as the template's two event sources
        pollers.poll("ingest-trigger-planning", planning.url(), planning.arn(), QueueSettings.PLANNING,
                PlanningHandovers.ingestFrom(new IngestTriggerHandler(newServices())));
        pollers.poll("ingest-trigger-planning-dlq", planning.dlqUrl(), planning.dlqArn(),
                QueueSettings.PLANNING, PlanningHandovers.ingestFrom(new IngestTriggerHandler(newServices())));
        for (int i = 0; i < options.workerEnvironments(); i++) {
            pollers.poll("batch-worker-" + i, work.url(), work.arn(), QueueSettings.WORK,
                    options.workerDecorator().decorate(environment, new BatchWorkerHandler(newServices())));
        }
        for (int i = 0; i < options.writerEnvironments(); i++) {
            RequestHandler<SQSEvent, SQSBatchResponse> writer =
                    options.writerDecorator().decorate(environment, new ResultsWriterHandler(newServices(),
                            LocalWriterIds.prefixOfThisProcess()));
            pollers.poll("results-writer-" + i, results.url(), results.arn(), QueueSettings.RESULTS,
                    writer);
            if (i == 0) {
                // the writer also drains the work DLQ, so a chunk that ran out of retries ends its job FAILED,
                // and its own DLQ, so a result that failed maxReceiveCount times is still handled, later
                pollers.poll("results-writer-work-dlq", work.dlqUrl(), work.dlqArn(), QueueSettings.RESULTS, writer);
                pollers.poll("results-writer-results-dlq", results.dlqUrl(), results.dlqArn(), QueueSettings.RESULTS,
                        writer);
            }
        }
    }

    /** S3 → SQS for created inputs, read back into ingest; false where this S3 cannot notify. */
    private boolean notifyQueue() {
        PipelineResources.Queue incoming = resources.createQueue(NOTIFICATIONS);
        resources.allowNotificationsTo(incoming);
        if (!S3NotificationQueue.configure(s3, bucket, incoming.arn())) {
            return false;
        }
        RequestHandler<SQSEvent, SQSBatchResponse> fromQueue = S3NotificationQueue.ingestFrom(ingest);
        for (int i = 0; i < IngestInvocations.ENVIRONMENTS; i++) {
            pollers.poll("ingest-trigger-" + i, incoming.url(), incoming.arn(), NOTIFICATIONS, fromQueue);
        }
        return true;
    }

    /** The embedded S3's word of a created object: S3's notification, filtered as the template's trigger is. */
    private void objectCreated(String createdIn, String key) {
        if (bucket.equals(createdIn) && key.startsWith(JobKeys.INCOMING)) {
            invocations.objectCreated(key);
        }
    }

    /** Services as a function builds them from its environment: clients of their own. */
    PipelineServices newServices() {
        return new PipelineServices(PipelineConfig.from(environment));
    }

    Map<String, String> environment() {
        return environment;
    }

    PipelineServices services() {
        return services;
    }

    S3Client s3() {
        return s3;
    }

    IngestInvocations invocations() {
        return invocations;
    }

    Notifications notifications() {
        return notifications;
    }

    boolean busy() {
        return pollers.busy() || invocations.pending();
    }

    /**
     * Stops the event sources and the raised notifications, waits briefly for invocations under way, removes
     * the bucket and queues on a shared endpoint, and closes the clients; the endpoints stay up.
     */
    @Override
    public void close() {
        endpoints.onObjectCreated(ObjectCreatedListener.NONE);
        if (pollers != null) {
            pollers.stop();
        }
        if (invocations != null) {
            invocations.stop();
        }
        if (pollers != null) {
            pollers.awaitInvocations();
        }
        if (invocations != null) {
            invocations.awaitStopped();
        }
        try {
            if (endpoints.shared() && resources != null) {
                resources.remove(services != null ? services.store() : null);
            }
        } finally {
            if (sqs != null) {
                sqs.close();
            }
            if (s3 != null) {
                s3.close();
            }
        }
    }
}
