package dev.batchinference.local.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import dev.batchinference.ingest.IngestReport;
import com.amazonaws.services.lambda.runtime.events.SQSBatchResponse;
import com.amazonaws.services.lambda.runtime.events.SQSEvent;
import dev.batchinference.storage.ObjectStore;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The notification queue read back into ingest: one message, one notification; S3's test event dropped. */
class S3NotificationQueueTest {

    private static SQSEvent.SQSMessage message(String id, String body) {
        SQSEvent.SQSMessage m = new SQSEvent.SQSMessage();
        m.setMessageId(id);
        m.setBody(body);
        return m;
    }

    private static String notificationFor(String key) {
        return S3Notifications.objectCreatedJson("batch-inference",
                new ObjectStore.StoredObject(key, 10, "\"etag\"", null, Instant.EPOCH), "us-east-1");
    }

    @Test
    void eachNotificationReachesIngestTheTestEventIsDroppedAndAnUnreadableMessageIsReported() {
        List<String> ingestedKeys = new ArrayList<>();
        IngestFunction ingest = (json, context) -> {
            S3Notifications.parse(json).getRecords().forEach(r -> ingestedKeys.add(r.getS3().getObject().getKey()));
            return IngestReport.ofJobs(List.of());
        };
        SQSEvent batch = new SQSEvent();
        batch.setRecords(List.of(
                message("test-event", "{\"Service\":\"Amazon S3\",\"Event\":\"s3:TestEvent\",\"Bucket\":\"batch-inference\"}"),
                message("first", notificationFor("incoming/iris/a.csv")),
                message("poison", "this message is not a notification"),
                message("second", notificationFor("incoming/iris/b c.csv"))));

        SQSBatchResponse response = S3NotificationQueue.ingestFrom(ingest).handleRequest(batch, null);

        assertThat(ingestedKeys).containsExactly("incoming/iris/a.csv", "incoming/iris/b+c.csv");
        assertThat(response.getBatchItemFailures()).extracting(SQSBatchResponse.BatchItemFailure::getItemIdentifier)
                .containsExactly("poison");
    }

    @Test
    void aNotificationIngestFailsOnIsReportedForRetry() {
        IngestFunction failing = (json, context) -> {
            throw new IllegalStateException("S3 unavailable");
        };
        SQSEvent batch = new SQSEvent();
        batch.setRecords(List.of(message("only", notificationFor("incoming/iris/a.csv"))));

        assertThat(S3NotificationQueue.ingestFrom(failing).handleRequest(batch, null).getBatchItemFailures())
                .extracting(SQSBatchResponse.BatchItemFailure::getItemIdentifier).containsExactly("only");
    }
}
