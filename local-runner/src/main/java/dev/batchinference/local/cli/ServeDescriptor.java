package dev.batchinference.local.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.batchinference.config.PipelineConfig;
import dev.batchinference.json.JsonCodec;
import dev.batchinference.storage.ObjectStore;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;

/**
 * What a running {@code serve} keeps at its bucket's root, {@value #KEY}: its SQS endpoint and queue URLs,
 * so that a control command given only the S3 endpoint ({@code status --endpoint http://127.0.0.1:P}) finds
 * the rest. The deployed pipeline neither writes nor reads it; inputs are only under {@code incoming/}.
 */
final class ServeDescriptor {
    static final String KEY = "serve.json";

    /** Where a serve's SQS is and its two queues. */
    record Endpoints(String sqsEndpoint, String workQueueUrl, String resultsQueueUrl) {
    }

    private ServeDescriptor() {
    }

    /** Written by serve once its queues exist, from the environment its functions run with. */
    static void write(ObjectStore store, Map<String, String> environment) {
        Endpoints endpoints = new Endpoints(environment.get(PipelineConfig.SQS_ENDPOINT),
                environment.get(PipelineConfig.WORK_QUEUE_URL), environment.get(PipelineConfig.RESULTS_QUEUE_URL));
        try {
            store.write(KEY, JsonCodec.mapper().writerWithDefaultPrettyPrinter().writeValueAsBytes(endpoints));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** The descriptor in the bucket, if there is a readable one; empty where there is none or no such bucket. */
    static Optional<Endpoints> read(ObjectStore store) {
        try {
            if (store.head(KEY).isEmpty()) {
                return Optional.empty();
            }
            try (InputStream in = store.read(KEY)) {
                JsonNode doc = JsonCodec.mapper().readTree(new String(in.readAllBytes(), StandardCharsets.UTF_8));
                String sqs = doc.path("sqsEndpoint").asText(null);
                String work = doc.path("workQueueUrl").asText(null);
                String results = doc.path("resultsQueueUrl").asText(null);
                return sqs == null || work == null || results == null ? Optional.empty()
                        : Optional.of(new Endpoints(sqs, work, results));
            }
        } catch (IOException | RuntimeException unreadable) {
            // no bucket, no endpoint listening, or not a serve's descriptor: the caller goes on without it
            return Optional.empty();
        }
    }
}
