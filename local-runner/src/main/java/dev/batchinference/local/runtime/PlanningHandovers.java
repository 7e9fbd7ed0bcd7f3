package dev.batchinference.local.runtime;

import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.amazonaws.services.lambda.runtime.RequestStreamHandler;
import com.amazonaws.services.lambda.runtime.events.SQSBatchResponse;
import com.amazonaws.services.lambda.runtime.events.SQSEvent;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.batchinference.json.JsonCodec;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The ingest function behind the planning queue and its dead-letter queue: a batch of messages becomes the SQS
 * event's JSON, as Lambda hands it to a stream handler, and the handler's partial batch response says which
 * messages come back.
 */
final class PlanningHandovers {
    private PlanningHandovers() {
    }

    static RequestHandler<SQSEvent, SQSBatchResponse> ingestFrom(RequestStreamHandler ingest) {
        return (event, context) -> {
            ByteArrayOutputStream response = new ByteArrayOutputStream();
            JsonNode answer;
            try {
                ingest.handleRequest(new ByteArrayInputStream(JsonCodec.writeBytes(json(event))), response, context);
                answer = JsonCodec.mapper().readTree(response.toByteArray());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            List<SQSBatchResponse.BatchItemFailure> failures = new ArrayList<>();
            answer.path("batchItemFailures").forEach(f -> failures.add(
                    new SQSBatchResponse.BatchItemFailure(f.path("itemIdentifier").asText())));
            return new SQSBatchResponse(failures);
        };
    }

    /** The event as Lambda's SQS event source writes it (the fields the ingest function reads, and their neighbours). */
    private static ObjectNode json(SQSEvent event) {
        ObjectNode root = JsonCodec.mapper().createObjectNode();
        ArrayNode records = root.putArray("Records");
        for (SQSEvent.SQSMessage m : event.getRecords()) {
            ObjectNode record = records.addObject();
            record.put("messageId", m.getMessageId());
            record.put("receiptHandle", m.getReceiptHandle());
            record.put("body", m.getBody());
            ObjectNode attributes = record.putObject("attributes");
            if (m.getAttributes() != null) {
                m.getAttributes().forEach(attributes::put);
            }
            record.putObject("messageAttributes");
            record.put("md5OfBody", m.getMd5OfBody());
            record.put("eventSource", m.getEventSource());
            record.put("eventSourceARN", m.getEventSourceArn());
            record.put("awsRegion", m.getAwsRegion());
        }
        return root;
    }
}
