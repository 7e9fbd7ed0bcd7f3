package dev.batchinference.ingest;

import com.fasterxml.jackson.databind.JsonNode;
import dev.batchinference.json.JsonCodec;
import java.io.IOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * What ingest-trigger is invoked with, told apart by shape: an S3 notification ({@code Records}, keys
 * URL-encoded), an EventBridge "Object Created" event from S3, or an EventBridge "Scheduled Event".
 */
public sealed interface IngestEvent {

    /**
     * Objects created. Keys from S3 notifications are decoded here; keys from EventBridge are as the event
     * has them ({@code viaEventBridge}), since AWS documents no encoding for them: ingest tries such a key as
     * it is, then URL-decoded.
     */
    record ObjectsCreated(List<String> keys, boolean viaEventBridge) implements IngestEvent {
    }

    /** The schedule fired: time for a sweep. */
    record Scheduled(String time) implements IngestEvent {
    }

    /** Something else, such as S3's {@code s3:TestEvent} when a notification is configured; nothing to do. */
    record Ignored(String what) implements IngestEvent {
    }

    /** Reads an event; one of a shape ingest-trigger is not wired to receive is an error naming it. */
    static IngestEvent parse(byte[] json) {
        JsonNode event;
        try {
            event = JsonCodec.mapper().readTree(json);
        } catch (IOException e) {
            throw new IllegalArgumentException("ingest-trigger was invoked with something that is not JSON ("
                    + json.length + " bytes)", e);
        }
        if (event == null || !event.isObject()) {
            throw new IllegalArgumentException("ingest-trigger was invoked with JSON that is not an object");
        }
        if (event.has("Records")) {
            return fromNotification(event.path("Records"));
        }
        String detailType = event.path("detail-type").asText("");
        String source = event.path("source").asText("");
        if ("aws.s3".equals(source) && "Object Created".equals(detailType)) {
            String key = event.path("detail").path("object").path("key").asText(null);
            if (key == null) {
                throw new IllegalArgumentException("an EventBridge 'Object Created' event without detail.object.key");
            }
            return new ObjectsCreated(List.of(key), true);
        }
        if ("Scheduled Event".equals(detailType)) {
            return new Scheduled(event.path("time").asText(null));
        }
        if (event.has("Event") && "s3:TestEvent".equals(event.path("Event").asText())) {
            return new Ignored("s3:TestEvent");
        }
        throw new IllegalArgumentException("ingest-trigger takes S3 notifications and EventBridge 'Object Created' or"
                + " 'Scheduled Event' events; this one has " + (detailType.isEmpty()
                ? "fields " + fieldNames(event) : "detail-type '" + detailType + "' from '" + source + "'"));
    }

    private static IngestEvent fromNotification(JsonNode records) {
        List<String> keys = new ArrayList<>();
        for (JsonNode record : records) {
            String source = record.path("eventSource").asText("");
            if (!"aws:s3".equals(source)) {
                throw new IllegalArgumentException("ingest-trigger takes S3 notifications and EventBridge events; this"
                        + " one has records from '" + source + "'");
            }
            // the trigger asks for ObjectCreated only; anything else (a copy of a rule elsewhere) is no input
            if (record.path("eventName").asText("").startsWith("ObjectCreated:")) {
                keys.add(decodeKey(record.path("s3").path("object").path("key").asText()));
            }
        }
        return keys.isEmpty() ? new Ignored("a notification with no ObjectCreated record") : new ObjectsCreated(keys, false);
    }

    /** S3 notifications carry keys URL-encoded, with '+' for a space. */
    static String decodeKey(String encoded) {
        return URLDecoder.decode(encoded, StandardCharsets.UTF_8);
    }

    private static String fieldNames(JsonNode event) {
        List<String> names = new ArrayList<>();
        event.fieldNames().forEachRemaining(names::add);
        return names.isEmpty() ? "none" : String.join(", ", names.subList(0, Math.min(6, names.size())));
    }
}
