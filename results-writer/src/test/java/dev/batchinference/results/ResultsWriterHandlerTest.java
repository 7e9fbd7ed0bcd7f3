package dev.batchinference.results;

import static org.assertj.core.api.Assertions.assertThat;

import com.amazonaws.services.lambda.runtime.events.SQSBatchResponse;
import com.amazonaws.services.lambda.runtime.events.SQSEvent;
import com.amazonaws.services.lambda.runtime.tests.EventLoader;
import dev.batchinference.config.PipelineConfig.ChunkLimits;
import dev.batchinference.job.JobKeys;
import dev.batchinference.testing.InMemoryPipeline;
import dev.batchinference.testing.Samples;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The writer handler on SQS batches in Lambda's JSON, verbatim (samples/events). */
class ResultsWriterHandlerTest {
    @TempDir
    Path cache;

    @Test
    void aResultCompletesTheJobAndAnUnreadableMessageIsDroppedNotRetried() throws Exception {
        InMemoryPipeline pipeline = new InMemoryPipeline(cache, ChunkLimits.defaults());
        Samples.publish(pipeline.models, "iris");
        String key = pipeline.put("incoming/iris/iris.csv", Files.readAllBytes(Samples.data("iris.csv")));
        pipeline.ingestor.ingest(key);
        pipeline.workQueue.drain().forEach(pipeline.worker::process);
        SQSEvent event = EventLoader.loadSQSEvent(Samples.root().resolve("events/sqs-chunk-tasks.json").toString());
        event.getRecords().get(0).setBody(pipeline.resultsQueue.drain().get(0));

        SQSBatchResponse response = new ResultsWriterHandler(pipeline.collator).handleRequest(event, null);

        assertThat(response.getBatchItemFailures()).isEmpty();
        assertThat(pipeline.store.head(JobKeys.predictions(key))).isPresent();
        assertThat(pipeline.store.head(JobKeys.summary(key))).isPresent();
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
