package dev.batchinference.ingest;

import com.fasterxml.jackson.databind.JsonNode;
import dev.batchinference.job.PlanningHandover;
import dev.batchinference.json.JsonCodec;
import dev.batchinference.json.RecordJson;
import java.io.IOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * What ingest-trigger is invoked with, told apart by shape: an S3 notification ({@code Records}, keys
 * URL-encoded), an EventBridge "Object Created" event from S3, an EventBridge "Scheduled Event", or a batch of
 * planning hand-overs from SQS ({@code Records} from {@code aws:sqs}).
 */
public sealed interface IngestEvent {

    /**
     * Objects created. Keys from S3 notifications are decoded here; keys from EventBridge are as the event
     * has them ({@code viaEventBridge}), since AWS documents no encoding for them: ingest tries such a key as
     * it is, then URL-decoded.
     */
    record ObjectsCreated(List<String> keys, boolean viaEventBridge) implements IngestEvent {
    }

    /** Messages from the planning queue or its dead-letter queue, each a {@link PlanningHandover}. */
    record PlanningHandovers(List<Delivery> deliveries) implements IngestEvent {
    }

    /** One SQS message: its id (to report it failed), the queue it came from (an ARN), and the hand-over it holds. */
    record Delivery(String messageId, String queueArn, PlanningHandover handover) {

        /** Whether it came from a queue other than {@code planningQueueUrl}'s: its dead-letter queue. */
        public boolean deadLettered(String planningQueueUrl) {
            return planningQueueUrl != null && !lastSegment(queueArn, ':').equals(lastSegment(planningQueueUrl, '/'));
        }

        private static String lastSegment(String text, char separator) {
            String trimmed = text.endsWith(String.valueOf(separator)) ? text.substring(0, text.length() - 1) : text;
            return trimmed.substring(trimmed.lastIndexOf(separator) + 1);
        }
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
        if (records.size() > 0 && "aws:sqs".equals(records.get(0).path("eventSource").asText(""))) {
            return fromQueue(records);
        }
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

    private static IngestEvent fromQueue(JsonNode records) {
        List<Delivery> deliveries = new ArrayList<>();
        for (JsonNode record : records) {
            String source = record.path("eventSource").asText("");
            if (!"aws:sqs".equals(source)) {
                throw new IllegalArgumentException("ingest-trigger was sent a batch of SQS messages mixed with records"
                        + " from '" + source + "'");
            }
            PlanningHandover handover = RecordJson.read(record.path("body").asText(""), PlanningHandover.class);
            if (!PlanningHandover.TYPE.equals(handover.type()) || handover.jobId() == null) {
                throw new IllegalArgumentException("ingest-trigger takes S3 notifications and EventBridge events, and"
                        + " planning hand-overs from SQS; message " + record.path("messageId").asText() + " is of type '"
                        + handover.type() + "'");
            }
            deliveries.add(new Delivery(record.path("messageId").asText(), record.path("eventSourceARN").asText(""),
                    handover));
        }
        return new PlanningHandovers(deliveries);
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
