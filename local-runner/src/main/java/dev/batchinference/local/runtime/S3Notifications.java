package dev.batchinference.local.runtime;

import com.amazonaws.services.lambda.runtime.events.S3Event;
import com.amazonaws.services.lambda.runtime.serialization.PojoSerializer;
import com.amazonaws.services.lambda.runtime.serialization.events.LambdaEventSerializers;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.batchinference.storage.ObjectStore;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

/**
 * S3 ObjectCreated notifications as S3 sends them (the same JSON, keys URL-encoded with '+' for a space),
 * turned into {@link S3Event} by the serializer the Lambda Java runtime itself uses: raised by the runtime
 * where S3 has no notifications of its own (the embedded S3), or read from the queue S3 notifies.
 */
final class S3Notifications {
    private static final PojoSerializer<S3Event> SERIALIZER =
            LambdaEventSerializers.serializerFor(S3Event.class, S3Notifications.class.getClassLoader());
    static final String PUT = "ObjectCreated:Put";
    static final String COMPLETE_MULTIPART_UPLOAD = "ObjectCreated:CompleteMultipartUpload";
    private static final String TEST_EVENT = "s3:TestEvent";
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final AtomicLong SEQUENCER = new AtomicLong(System.nanoTime());

    private S3Notifications() {
    }

    /** The event S3 reports for an object: a multipart upload's ETag ends in "-" and its part count. */
    static String eventNameFor(ObjectStore.StoredObject object) {
        String etag = object.etag() == null ? "" : object.etag().replace("\"", "");
        return etag.matches(".*-\\d+") ? COMPLETE_MULTIPART_UPLOAD : PUT;
    }

    static String objectCreatedJson(String bucket, ObjectStore.StoredObject object, String region) {
        JsonNodeFactory json = JsonNodeFactory.instance;
        ObjectNode record = json.objectNode();
        record.put("eventVersion", "2.1");
        record.put("eventSource", "aws:s3");
        record.put("awsRegion", region);
        record.put("eventTime", Instant.now().toString());
        record.put("eventName", eventNameFor(object));
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

    /**
     * The event in a message S3 sent to a queue, or empty for the {@code s3:TestEvent} S3 sends when
     * notifications are configured. Anything else that is not a notification is an error.
     */
    static Optional<S3Event> parseQueued(String body) {
        JsonNode message;
        try {
            message = MAPPER.readTree(body);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("not an S3 notification (not JSON, " + body.length() + " characters)");
        }
        if (TEST_EVENT.equals(message.path("Event").asText())) {
            return Optional.empty();
        }
        if (!message.path("Records").isArray()) {
            throw new IllegalArgumentException("not an S3 notification (JSON without Records, " + body.length()
                    + " characters)");
        }
        return Optional.of(parse(body));
    }

    /** S3's key encoding in notifications: form encoding, so a space is '+'. */
    static String encodeKey(String key) {
        return URLEncoder.encode(key, StandardCharsets.UTF_8).replace("%2F", "/");
    }
}
