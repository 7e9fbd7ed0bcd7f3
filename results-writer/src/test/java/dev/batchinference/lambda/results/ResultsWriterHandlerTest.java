package dev.batchinference.lambda.results;

import static org.assertj.core.api.Assertions.assertThat;

import com.amazonaws.services.lambda.runtime.events.SQSBatchResponse;
import com.amazonaws.services.lambda.runtime.events.SQSEvent;
import com.amazonaws.services.lambda.runtime.tests.EventLoader;
import com.fasterxml.jackson.databind.JsonNode;
import dev.batchinference.format.ChunkLimits;
import dev.batchinference.job.JobKeys;
import dev.batchinference.json.JsonCodec;
import dev.batchinference.observability.InvocationLog;
import dev.batchinference.testing.InMemoryPipeline;
import dev.batchinference.testing.Samples;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The writer handler on SQS batches in Lambda's JSON, verbatim (samples/events). */
class ResultsWriterHandlerTest {
    @TempDir
    Path cache;

    /** An iris job predicted, and the fixture's batch with its first body replaced by the job's result. */
    private record Prepared(InMemoryPipeline pipeline, String key, String jobId, SQSEvent event) {
    }

    private Prepared prepared() throws Exception {
        InMemoryPipeline pipeline = new InMemoryPipeline(cache, ChunkLimits.defaults());
        Samples.publish(pipeline.models, "iris");
        String key = pipeline.put("incoming/iris/iris.csv", Files.readAllBytes(Samples.data("iris.csv")));
        String jobId = pipeline.ingestor.ingest(key).jobId();
        pipeline.workQueue.drain().forEach(pipeline.worker::process);
        SQSEvent event = EventLoader.loadSQSEvent(Samples.root().resolve("events/sqs-chunk-tasks.json").toString());
        event.getRecords().get(0).setBody(pipeline.resultsQueue.drain().get(0));
        return new Prepared(pipeline, key, jobId, event);
    }

    @Test
    void aResultCompletesTheJobAndAnUnreadableMessageIsDroppedNotRetried() throws Exception {
        Prepared p = prepared();

        SQSBatchResponse response = new ResultsWriterHandler(p.pipeline().collator).handleRequest(p.event(), null);

        assertThat(response.getBatchItemFailures()).isEmpty();
        assertThat(p.pipeline().store.head(JobKeys.predictions(p.key()))).isPresent();
        assertThat(p.pipeline().store.head(JobKeys.summary(p.key()))).isPresent();
    }

    /** Each invocation writes one line, an Embedded Metric Format document. */
    @Test
    void theLineSaysWhichJobsTheMessagesConcernedAndWhichEnded() throws Exception {
        Prepared p = prepared();
        String jobId = p.jobId();
        SQSEvent event = p.event();
        List<String> lines = new ArrayList<>();
        ResultsWriterHandler handler = new ResultsWriterHandler(p.pipeline().collator,
                InvocationLog.to(ResultsWriterHandler.FUNCTION, "TestNamespace", lines::add));

        handler.handleRequest(event, null);

        assertThat(lines).singleElement();
        JsonNode line = JsonCodec.mapper().readTree(lines.get(0));
        assertThat(line.path("function").asText()).isEqualTo("results-writer");
        assertThat(line.path("coldStart").asBoolean()).isTrue();
        assertThat(line.path("jobIds").toString()).isEqualTo("[\"" + jobId + "\"]");
        assertThat(line.path("jobsEnded").toString()).isEqualTo("[\"" + jobId + " SUCCEEDED\"]");
        assertThat(line.path("jobsSucceeded").asDouble()).isEqualTo(1);
        assertThat(line.path("ignored").asDouble()).as("the fixture's second message is no result").isEqualTo(1);
        assertThat(line.path("messages").asDouble()).isEqualTo(2);
        assertThat(line.path("retriedMessages").asDouble()).isZero();
        assertThat(line.has("collateMs")).isTrue();
        JsonNode directive = line.path("_aws").path("CloudWatchMetrics").get(0);
        assertThat(directive.path("Namespace").asText()).isEqualTo("TestNamespace");
        assertThat(directive.path("Dimensions").toString()).isEqualTo("[[\"Function\"]]");
        assertThat(directive.path("Metrics").toString()).contains("{\"Name\":\"jobsSucceeded\",\"Unit\":\"Count\"}",
                "{\"Name\":\"collateMs\",\"Unit\":\"Milliseconds\"}");
    }

    @Test
    void aResultForAJobWithoutAPlanIsDroppedNotRetriedForever() throws Exception {
        InMemoryPipeline pipeline = new InMemoryPipeline(cache, ChunkLimits.defaults());
        SQSEvent event = EventLoader.loadSQSEvent(Samples.root().resolve("events/sqs-chunk-tasks.json").toString());
        event.getRecords().get(0).setBody("{\"type\":\"CHUNK_DONE\",\"jobId\":\"nosuchjob\",\"chunk\":0,"
                + "\"result\":{\"chunk\":0,\"rowsIn\":1,\"rowsOut\":1,\"rowsRejected\":0}}");
        event.setRecords(event.getRecords().subList(0, 1));

        SQSBatchResponse response = new ResultsWriterHandler(pipeline.collator).handleRequest(event, null);

        assertThat(response.getBatchItemFailures()).isEmpty();
        assertThat(pipeline.store.list("")).isEmpty();
    }
}
