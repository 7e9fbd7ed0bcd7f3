package dev.batchinference.local.runtime;

import com.amazonaws.services.lambda.runtime.events.S3Event;
import com.amazonaws.services.lambda.runtime.serialization.PojoSerializer;
import com.amazonaws.services.lambda.runtime.serialization.events.LambdaEventSerializers;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.batchinference.storage.ObjectStore;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicLong;

/**
 * S3 ObjectCreated notifications as S3 sends them (the same JSON, keys URL-encoded with '+' for a space),
 * turned into {@link S3Event} by the serializer the Lambda Java runtime itself uses. The embedded S3 has
 * no notifications of its own, so the local runtime raises these.
 */
final class S3Notifications {
    private static final PojoSerializer<S3Event> SERIALIZER =
            LambdaEventSerializers.serializerFor(S3Event.class, S3Notifications.class.getClassLoader());
    private static final AtomicLong SEQUENCER = new AtomicLong(System.nanoTime());

    private S3Notifications() {
    }

    static String objectCreatedJson(String bucket, ObjectStore.StoredObject object, String region) {
        JsonNodeFactory json = JsonNodeFactory.instance;
        ObjectNode record = json.objectNode();
        record.put("eventVersion", "2.1");
        record.put("eventSource", "aws:s3");
        record.put("awsRegion", region);
        record.put("eventTime", Instant.now().toString());
        record.put("eventName", "ObjectCreated:Put");
        record.putObject("userIdentity").put("principalId", "AWS:LOCAL");
        record.putObject("requestParameters").put("sourceIPAddress", "127.0.0.1");
        ObjectNode responseElements = record.putObject("responseElements");
        responseElements.put("x-amz-request-id", Long.toHexString(SEQUENCER.get()).toUpperCase());
        responseElements.put("x-amz-id-2", "local");
        ObjectNode s3 = record.putObject("s3");
        s3.put("s3SchemaVersion", "1.0");
        s3.put("configurationId", "incoming-objects");
        ObjectNode bucketNode = s3.putObject("bucket");
        bucketNode.put("name", bucket);
        bucketNode.putObject("ownerIdentity").put("principalId", "LOCAL");
        bucketNode.put("arn", "arn:aws:s3:::" + bucket);
        ObjectNode objectNode = s3.putObject("object");
        objectNode.put("key", encodeKey(object.key()));
        objectNode.put("size", object.size());
        objectNode.put("eTag", object.etag() == null ? null : object.etag().replace("\"", ""));
        if (object.versionId() != null) {
            objectNode.put("versionId", object.versionId());
        }
        objectNode.put("sequencer", String.format("%016X", SEQUENCER.incrementAndGet()));
        ObjectNode event = json.objectNode();
        ArrayNode records = event.putArray("Records");
        records.add(record);
        return event.toString();
    }

    static S3Event parse(String json) {
        return SERIALIZER.fromJson(json);
    }

    /** S3's key encoding in notifications: form encoding, so a space is '+'. */
    static String encodeKey(String key) {
        return URLEncoder.encode(key, StandardCharsets.UTF_8).replace("%2F", "/");
    }
}
