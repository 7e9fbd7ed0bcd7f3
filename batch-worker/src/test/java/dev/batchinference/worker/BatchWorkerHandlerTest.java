package dev.batchinference.worker;

import static org.assertj.core.api.Assertions.assertThat;

import com.amazonaws.services.lambda.runtime.events.SQSBatchResponse;
import com.amazonaws.services.lambda.runtime.events.SQSEvent;
import com.amazonaws.services.lambda.runtime.tests.EventLoader;
import dev.batchinference.config.PipelineConfig.ChunkLimits;
import dev.batchinference.format.OutputFormat;
import dev.batchinference.job.JobKeys;
import dev.batchinference.testing.InMemoryPipeline;
import dev.batchinference.testing.Samples;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The worker handler on an SQS batch in Lambda's JSON, verbatim (samples/events), with one poison message. */
class BatchWorkerHandlerTest {
    @TempDir
    Path cache;

    @Test
    void onlyThePoisonMessageIsReportedForRetry() throws Exception {
        InMemoryPipeline pipeline = new InMemoryPipeline(cache, ChunkLimits.defaults());
        Samples.publish(pipeline.models, "iris");
        String key = pipeline.put("incoming/iris/iris.csv", Files.readAllBytes(Samples.data("iris.csv")));
        String jobId = pipeline.ingestor.ingest(key).jobId();
        String task = pipeline.workQueue.drain().get(0);
        SQSEvent event = EventLoader.loadSQSEvent(Samples.root().resolve("events/sqs-chunk-tasks.json").toString());
        // the fixture's first body names a job that exists only in AWS; give it this test's job
        event.getRecords().get(0).setBody(task);

        SQSBatchResponse response = new BatchWorkerHandler(pipeline.worker).handleRequest(event, null);

        assertThat(response.getBatchItemFailures()).singleElement()
                .extracting(SQSBatchResponse.BatchItemFailure::getItemIdentifier)
                .isEqualTo("2e1424d4-f796-459a-8184-9c92662be6da");
        assertThat(pipeline.store.head(JobKeys.part(jobId, 0, OutputFormat.CSV))).isPresent();
        assertThat(pipeline.resultsQueue.sent()).hasSize(1);
    }
}
