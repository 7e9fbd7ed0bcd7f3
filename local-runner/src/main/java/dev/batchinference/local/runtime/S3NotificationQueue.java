package dev.batchinference.local.runtime;

import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.amazonaws.services.lambda.runtime.events.SQSBatchResponse;
import com.amazonaws.services.lambda.runtime.events.SQSEvent;
import dev.batchinference.job.JobKeys;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.Event;
import software.amazon.awssdk.services.s3.model.FilterRule;
import software.amazon.awssdk.services.s3.model.QueueConfiguration;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * Where S3 can notify SQS itself (moto, LocalStack, AWS): the bucket sends ObjectCreated under
 * {@code incoming/} to a queue, and the runtime reads that queue back into the ingest function, each
 * message's body, the JSON S3 wrote, so ingest meets the real notification.
 */
final class S3NotificationQueue {
    private static final Logger LOG = LoggerFactory.getLogger(S3NotificationQueue.class);

    private S3NotificationQueue() {
    }

    /** The queue policy S3 needs to send to the queue (AWS checks it; the emulators accept it). */
    static String policyAllowingS3(String queueArn, String bucket) {
        return "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\","
                + "\"Principal\":{\"Service\":\"s3.amazonaws.com\"},\"Action\":\"sqs:SendMessage\","
                + "\"Resource\":\"" + queueArn + "\","
                + "\"Condition\":{\"ArnLike\":{\"aws:SourceArn\":\"arn:aws:s3:::" + bucket + "\"}}}]}";
    }

    /**
     * Asks S3 to notify the queue of objects created under {@code incoming/}; false if this S3 does not
     * implement notifications (HTTP 501), so the caller raises them itself.
     */
    static boolean configure(S3Client s3, String bucket, String queueArn) {
        // the filter rule's name goes as "prefix": the SDK's FilterRuleName.PREFIX is sent as "Prefix",
        // which AWS accepts and moto answers with HTTP 500
        QueueConfiguration toQueue = QueueConfiguration.builder()
                .id("incoming-objects")
                .queueArn(queueArn)
                .events(Event.S3_OBJECT_CREATED)
                .filter(f -> f.key(k -> k.filterRules(FilterRule.builder().name("prefix").value(JobKeys.INCOMING).build())))
                .build();
        try {
            s3.putBucketNotificationConfiguration(b -> b.bucket(bucket)
                    .notificationConfiguration(n -> n.queueConfigurations(toQueue)));
            return true;
        } catch (S3Exception e) {
            if (e.statusCode() == 501) {
                LOG.info("S3 at this endpoint has no bucket notifications ({}): the runtime raises them", e.statusCode());
                return false;
            }
            throw e;
        }
    }

    /**
     * The ingest function behind the notification queue: each message is one notification; S3's
     * {@code s3:TestEvent} is acknowledged and dropped; a message that fails is reported, so it comes back
     * and, after the queue's receive limit, moves to its DLQ.
     */
    static RequestHandler<SQSEvent, SQSBatchResponse> ingestFrom(IngestFunction ingest) {
        return (event, context) -> {
            List<SQSBatchResponse.BatchItemFailure> failures = new ArrayList<>();
            for (SQSEvent.SQSMessage message : event.getRecords()) {
                try {
                    if (S3Notifications.parseQueued(message.getBody()).isEmpty()) {
                        LOG.debug("s3:TestEvent on the notification queue: S3 confirms the configuration");
                        continue;
                    }
                    ingest.invoke(message.getBody(), context);
                } catch (RuntimeException e) {
                    LOG.warn("ingest-trigger failed on notification {}; it will be retried: {}", message.getMessageId(),
                            e.toString());
                    failures.add(new SQSBatchResponse.BatchItemFailure(message.getMessageId()));
                }
            }
            return new SQSBatchResponse(failures);
        };
    }
}
