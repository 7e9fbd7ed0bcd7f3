package dev.batchinference.local.runtime;

import dev.batchinference.storage.ObjectStore;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.ObjectIdentifier;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;

/**
 * The bucket and queues the SAM template declares, created on the endpoints as it declares them; on a
 * shared endpoint they are this run's own and are removed again when it ends.
 */
final class PipelineResources {
    private static final Logger LOG = LoggerFactory.getLogger(PipelineResources.class);

    /** A queue and the DLQ its redrive policy moves messages to after {@code maxReceiveCount} receives. */
    record Queue(String url, String arn, String dlqUrl, String dlqArn) {
    }

    private final S3Client s3;
    private final SqsClient sqs;
    private final String bucket;
    private final String region;
    private final String queuePrefix;
    private final List<String> queueUrls = new ArrayList<>();
    private boolean bucketCreated;

    PipelineResources(S3Client s3, SqsClient sqs, String bucket, String region, String queuePrefix) {
        this.s3 = s3;
        this.sqs = sqs;
        this.bucket = bucket;
        this.region = region;
        this.queuePrefix = queuePrefix;
    }

    /** Creates the bucket unless it exists already (a bucket that outlived the last run is used again). */
    void createBucket() {
        if (s3.listBuckets().buckets().stream().anyMatch(b -> b.name().equals(bucket))) {
            return;
        }
        // us-east-1 is the one region S3 wants no location constraint for
        s3.createBucket(b -> {
            b.bucket(bucket);
            if (!"us-east-1".equals(region)) {
                b.createBucketConfiguration(c -> c.locationConstraint(region));
            }
        });
        bucketCreated = true;
    }

    Queue createQueue(QueueSettings settings) {
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

    /** Lets the bucket's notifications be sent to the queue, as S3 on AWS needs. */
    void allowNotificationsTo(Queue queue) {
        sqs.setQueueAttributes(b -> b.queueUrl(queue.url()).attributes(Map.of(
                QueueAttributeName.POLICY, S3NotificationQueue.policyAllowingS3(queue.arn(), bucket))));
    }

    private String arn(String queueUrl) {
        return sqs.getQueueAttributes(b -> b.queueUrl(queueUrl).attributeNames(QueueAttributeName.QUEUE_ARN))
                .attributes().get(QueueAttributeName.QUEUE_ARN);
    }

    /**
     * On a shared endpoint: this run's queues and bucket go, so runs do not pile up in a long-lived emulator.
     * The bucket is emptied through {@code store} (null where nothing was wired to write to it).
     */
    void remove(ObjectStore store) {
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
            List<String> keys = store != null ? store.list("") : List.of();
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
}
