package dev.batchinference.aws;

import dev.batchinference.config.PipelineConfig;
import dev.batchinference.control.JobRedriver;
import dev.batchinference.ingest.JobIngestor;
import dev.batchinference.ingest.JobSweeper;
import dev.batchinference.metering.CountingMessageSender;
import dev.batchinference.metering.CountingObjectStore;
import dev.batchinference.model.ModelStore;
import dev.batchinference.queue.MessageSender;
import dev.batchinference.storage.ObjectStore;
import java.time.Clock;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.sqs.SqsClient;

/**
 * The AWS-backed collaborators a function needs, and the core objects wired from them, built once from
 * configuration in its no-argument constructor. SQS is created only when first asked for: a function that never sends never pays for it.
 */
public final class PipelineServices {
    private final PipelineConfig config;
    private final S3Client s3;
    private final ObjectStore store;
    private volatile SqsClient sqs;

    public PipelineServices(PipelineConfig config) {
        this.config = config;
        this.s3 = AwsClients.s3(config);
        // requests are counted only where a core opened a tally for a message: see RequestCounts
        this.store = new CountingObjectStore(new S3ObjectStore(s3, config.bucket()));
    }

    public PipelineConfig config() {
        return config;
    }

    public ObjectStore store() {
        return store;
    }

    public ModelStore models() {
        return new ModelStore(store, config.modelCacheDir(), config.limits().maxModelBytes());
    }

    /** Ingest as the environment configures it: with a planning queue, planning in steps of its budget. */
    public JobIngestor ingestor(Clock clock) {
        JobIngestor ingestor = new JobIngestor(config.bucket(), store, models(), workQueue(), resultsQueue(),
                config.chunkLimits(), config.data(), config.limits(), clock);
        return config.planningQueue()
                .map(url -> ingestor.handingOverTo(new CountingMessageSender(new SqsMessageSender(sqs(), url)),
                        config.planning()))
                .orElse(ingestor);
    }

    /** The scheduled sweep as the environment configures it, starting jobs through {@code ingestor}. */
    public JobSweeper sweeper(JobIngestor ingestor, Clock clock) {
        return new JobSweeper(config.bucket(), store, ingestor, new JobRedriver(store, workQueue(), resultsQueue(), clock),
                resultsQueue(), config.stalledJobAfter(), clock);
    }

    public MessageSender workQueue() {
        return new CountingMessageSender(new SqsMessageSender(sqs(), config.requireWorkQueueUrl()));
    }

    public MessageSender resultsQueue() {
        return new CountingMessageSender(new SqsMessageSender(sqs(), config.requireResultsQueueUrl()));
    }

    private SqsClient sqs() {
        SqsClient client = sqs;
        if (client == null) {
            synchronized (this) {
                if (sqs == null) {
                    sqs = AwsClients.sqs(config);
                }
                client = sqs;
            }
        }
        return client;
    }
}
