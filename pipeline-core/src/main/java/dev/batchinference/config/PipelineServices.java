package dev.batchinference.config;

import dev.batchinference.aws.AwsClients;
import dev.batchinference.model.ModelStore;
import dev.batchinference.queue.MessageSender;
import dev.batchinference.queue.SqsMessageSender;
import dev.batchinference.storage.ObjectStore;
import dev.batchinference.storage.S3ObjectStore;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.sqs.SqsClient;

/**
 * The AWS-backed collaborators a function needs, built once from configuration in its no-argument
 * constructor. SQS is created only when first asked for: a function that never sends never pays for it.
 */
public final class PipelineServices {
    private final PipelineConfig config;
    private final S3Client s3;
    private final ObjectStore store;
    private volatile SqsClient sqs;

    public PipelineServices(PipelineConfig config) {
        this.config = config;
        this.s3 = AwsClients.s3(config);
        this.store = new S3ObjectStore(s3, config.bucket());
    }

    public PipelineConfig config() {
        return config;
    }

    public ObjectStore store() {
        return store;
    }

    public ModelStore models() {
        return new ModelStore(store, config.modelCacheDir());
    }

    public MessageSender workQueue() {
        return new SqsMessageSender(sqs(), config.requireWorkQueueUrl());
    }

    public MessageSender resultsQueue() {
        return new SqsMessageSender(sqs(), config.requireResultsQueueUrl());
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
