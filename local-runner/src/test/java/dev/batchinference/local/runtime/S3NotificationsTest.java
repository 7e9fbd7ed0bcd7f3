package dev.batchinference.local.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.amazonaws.services.lambda.runtime.events.S3Event;
import dev.batchinference.storage.ObjectStore;
import dev.batchinference.testing.Samples;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** S3 notifications as the runtime raises them and as it reads them from the queue S3 notifies. */
class S3NotificationsTest {
    /** What moto_server 5.2.1 sent to the queue for a PUT: "/" encoded too, no zone in eventTime, no identity. */
    private static final String MOTO_PUT = """
            {"Records": [{"eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": "us-east-1",
             "eventTime": "2026-11-24T14:31:13.874875", "eventName": "ObjectCreated:Put",
             "s3": {"s3SchemaVersion": "1.0", "configurationId": "DJBJvjgyfa8KIWKw5xsqhgA8mWp8bMxwl8sd2LwSvSTLhyubeF",
             "bucket": {"name": "probe", "arn": "arn:aws:s3:::probe"},
             "object": {"key": "incoming%2Firis%2Fa+b+%C3%A9.csv", "size": 8, "eTag": "344fd2323dd33d5c058b7cf27de029e8"}}}]}
            """;
    /** What S3 sends to the queue when notifications are configured (moto leaves out RequestId and HostId). */
    private static final String TEST_EVENT = """
            {"Service":"Amazon S3","Event":"s3:TestEvent","Time":"2026-11-24T14:31:13.857Z","Bucket":"batch-inference",
             "RequestId":"5582815E1AEA5ADF","HostId":"8cLeGAmw098X5cv4Zkwcmo8vvZa3eH3eKxsPzbB9wrR+YstdA6Knx4Ip8EXAMPLE"}
            """;

    private static String decodedKey(S3Event event) {
        return URLDecoder.decode(event.getRecords().get(0).getS3().getObject().getKey(), StandardCharsets.UTF_8);
    }

    @Test
    void aRaisedNotificationEncodesTheKeyAsS3DoesAndParsesBack() {
        String key = "incoming/iris/field trials/résultats 2026.csv";
        ObjectStore.StoredObject object = new ObjectStore.StoredObject(key, 4353, "\"d6e7f8986427d94ebf328ad5f463103d\"",
                null, Instant.parse("2026-11-24T09:30:12Z"));

        String json = S3Notifications.objectCreatedJson("batch-inference", object, "us-east-1");
        S3Event event = S3Notifications.parse(json);

        assertThat(json).contains("\"key\":\"incoming/iris/field+trials/r%C3%A9sultats+2026.csv\"");
        assertThat(decodedKey(event)).isEqualTo(key);
        assertThat(event.getRecords().get(0).getEventName()).isEqualTo("ObjectCreated:Put");
        assertThat(event.getRecords().get(0).getS3().getObject().geteTag()).isEqualTo("d6e7f8986427d94ebf328ad5f463103d");
    }

    @Test
    void anObjectWithAMultipartETagIsReportedAsACompletedMultipartUpload() {
        ObjectStore.StoredObject multipart = new ObjectStore.StoredObject("incoming/iris/big.csv", 1, "\"0f3c8d1e-14\"",
                null, Instant.EPOCH);
        ObjectStore.StoredObject single = new ObjectStore.StoredObject("incoming/iris/small.csv", 1, "\"0f3c8d1e\"",
                null, Instant.EPOCH);

        assertThat(S3Notifications.eventNameFor(multipart)).isEqualTo("ObjectCreated:CompleteMultipartUpload");
        assertThat(S3Notifications.eventNameFor(single)).isEqualTo("ObjectCreated:Put");
    }

    @Test
    void aQueuedNotificationFromAwsParsesAsTheLambdaRuntimeWouldParseIt() throws Exception {
        String body = Files.readString(Samples.root().resolve("events/s3-object-created-put.json"));

        assertThat(S3Notifications.parseQueued(body)).get().extracting(S3NotificationsTest::decodedKey)
                .isEqualTo("incoming/iris/field trials/résultats 2026.csv");
    }

    @Test
    void aQueuedNotificationFromMotoParsesDespiteItsEncodedSlashesAndZonelessTime() {
        assertThat(S3Notifications.parseQueued(MOTO_PUT)).get().extracting(S3NotificationsTest::decodedKey)
                .isEqualTo("incoming/iris/a b é.csv");
    }

    @Test
    void theTestEventS3SendsWhenNotificationsAreConfiguredIsNoNotification() {
        assertThat(S3Notifications.parseQueued(TEST_EVENT)).isEmpty();
    }

    @Test
    void aMessageThatIsNoNotificationIsAnError() {
        assertThatThrownBy(() -> S3Notifications.parseQueued("{\"type\":\"CHUNK_TASK\"}"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("without Records");
        assertThatThrownBy(() -> S3Notifications.parseQueued("not json"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not JSON");
    }
}
