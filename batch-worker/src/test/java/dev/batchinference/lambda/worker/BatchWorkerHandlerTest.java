package dev.batchinference.lambda.worker;

import static org.assertj.core.api.Assertions.assertThat;

import com.amazonaws.services.lambda.runtime.events.SQSBatchResponse;
import com.amazonaws.services.lambda.runtime.events.SQSEvent;
import com.amazonaws.services.lambda.runtime.tests.EventLoader;
import com.fasterxml.jackson.databind.JsonNode;
import dev.batchinference.format.ChunkLimits;
import dev.batchinference.format.OutputFormat;
import dev.batchinference.job.JobKeys;
import dev.batchinference.json.JsonCodec;
import dev.batchinference.observability.InvocationLog;
import dev.batchinference.testing.InMemoryPipeline;
import dev.batchinference.testing.Samples;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The worker handler on an SQS batch in Lambda's JSON, verbatim (samples/events), with one poison message. */
class BatchWorkerHandlerTest {
    @TempDir
    Path cache;

    /** An iris job ingested, and the fixture's batch with its first body replaced by the job's only task. */
    private record Prepared(InMemoryPipeline pipeline, String key, String jobId, SQSEvent event) {
    }

    private Prepared prepared() throws Exception {
        InMemoryPipeline pipeline = new InMemoryPipeline(cache, ChunkLimits.defaults());
        Samples.publish(pipeline.models, "iris");
        String key = pipeline.put("incoming/iris/iris.csv", Files.readAllBytes(Samples.data("iris.csv")));
        String jobId = pipeline.ingestor.ingest(key).jobId();
        String task = pipeline.workQueue.drain().get(0);
        SQSEvent event = EventLoader.loadSQSEvent(Samples.root().resolve("events/sqs-chunk-tasks.json").toString());
        // the fixture's first body names a job that exists only in AWS; give it this test's job
        event.getRecords().get(0).setBody(task);
        return new Prepared(pipeline, key, jobId, event);
    }

    @Test
    void onlyThePoisonMessageIsReportedForRetry() throws Exception {
        Prepared p = prepared();

        SQSBatchResponse response = new BatchWorkerHandler(p.pipeline().worker).handleRequest(p.event(), null);

        assertThat(response.getBatchItemFailures()).singleElement()
                .extracting(SQSBatchResponse.BatchItemFailure::getItemIdentifier)
                .isEqualTo("2e1424d4-f796-459a-8184-9c92662be6da");
        assertThat(p.pipeline().store.head(JobKeys.part(p.jobId(), 0, OutputFormat.CSV))).isPresent();
        assertThat(p.pipeline().resultsQueue.sent()).hasSize(1);
    }

    /**
     * Each invocation writes one line, an Embedded Metric Format document: the EMF metadata (namespace,
     * the Function dimension, each metric with its unit) and the invocation's fields.
     */
    @Test
    void oneLinePerInvocationWithTheChunksCountsTimesAndAnEmfDocumentAroundThem() throws Exception {
        Prepared p = prepared();
        SQSEvent event = p.event();
        String jobId = p.jobId();
        List<String> lines = new ArrayList<>();
        BatchWorkerHandler handler = new BatchWorkerHandler(p.pipeline().worker,
                InvocationLog.to(BatchWorkerHandler.FUNCTION, "TestNamespace", lines::add));

        handler.handleRequest(event, null);
        event.setRecords(event.getRecords().subList(0, 1));
        handler.handleRequest(event, null);

        assertThat(lines).hasSize(2);
        JsonNode cold = JsonCodec.mapper().readTree(lines.get(0));
        assertThat(fieldNames(cold)).containsExactlyInAnyOrder("_aws", "Function", "function", "coldStart", "jobId",
                "chunk", "outcome", "errors", "messages", "retriedMessages", "rowsIn", "rowsOut", "rowsRejected",
                "modelLoadMs", "parseMs", "inferMs", "writeMs", "chunkMs", "durationMs");
        assertThat(cold.path("function").asText()).isEqualTo("batch-worker");
        assertThat(cold.path("Function").asText()).isEqualTo("batch-worker");
        assertThat(cold.path("coldStart").asBoolean()).isTrue();
        assertThat(cold.path("jobId").asText()).isEqualTo(jobId);
        assertThat(cold.path("chunk").asInt()).isZero();
        assertThat(cold.path("outcome").asText()).isEqualTo("PREDICTED");
        assertThat(cold.path("rowsIn").asDouble()).isEqualTo(150);
        assertThat(cold.path("rowsOut").asDouble()).isEqualTo(150);
        assertThat(cold.path("rowsRejected").asDouble()).isZero();
        assertThat(cold.path("messages").asDouble()).isEqualTo(2);
        assertThat(cold.path("retriedMessages").asDouble()).isEqualTo(1);
        assertThat(cold.path("modelLoadMs").asDouble()).isPositive();
        assertThat(cold.path("errors").get(0).asText()).as("the exception's type, never its message")
                .doesNotContain(" ");

        JsonNode emf = cold.path("_aws");
        assertThat(emf.path("Timestamp").isNumber()).isTrue();
        JsonNode directive = emf.path("CloudWatchMetrics").get(0);
        assertThat(directive.path("Namespace").asText()).isEqualTo("TestNamespace");
        assertThat(directive.path("Dimensions").toString()).isEqualTo("[[\"Function\"]]");
        assertThat(StreamSupport.stream(directive.path("Metrics").spliterator(), false)
                .map(m -> m.path("Name").asText() + ":" + m.path("Unit").asText()).toList())
                .contains("rowsIn:Count", "rowsRejected:Count", "messages:Count", "modelLoadMs:Milliseconds",
                        "parseMs:Milliseconds", "inferMs:Milliseconds", "writeMs:Milliseconds", "durationMs:Milliseconds");

        JsonNode warm = JsonCodec.mapper().readTree(lines.get(1));
        assertThat(warm.path("coldStart").asBoolean()).isFalse();
        assertThat(warm.path("outcome").asText()).as("the same task again, not yet recorded done").isEqualTo("PREDICTED");
        assertThat(warm.path("modelLoadMs").asDouble()).as("the model stayed loaded").isZero();
        assertThat(warm.path("messages").asDouble()).isEqualTo(1);
        assertThat(warm.has("errors")).isFalse();
    }

    private static List<String> fieldNames(JsonNode node) {
        List<String> names = new ArrayList<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }
}
