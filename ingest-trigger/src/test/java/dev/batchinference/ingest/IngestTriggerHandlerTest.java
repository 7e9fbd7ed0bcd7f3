package dev.batchinference.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import com.amazonaws.services.lambda.runtime.events.S3Event;
import com.amazonaws.services.lambda.runtime.tests.EventLoader;
import dev.batchinference.config.PipelineConfig.ChunkLimits;
import dev.batchinference.job.ChunkTask;
import dev.batchinference.json.JsonCodec;
import dev.batchinference.testing.InMemoryPipeline;
import dev.batchinference.testing.Samples;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The ingest handler on S3's notification JSON, verbatim (samples/events). */
class IngestTriggerHandlerTest {
    @TempDir
    Path cache;

    @Test
    void aUrlEncodedKeyWithSpacesAndUnicodeIsDecodedAndStartsOneJob() throws Exception {
        S3Event event = EventLoader.loadS3Event(Samples.root().resolve("events/s3-object-created-put.json").toString());
        InMemoryPipeline pipeline = new InMemoryPipeline(cache, new ChunkLimits(100, Long.MAX_VALUE));
        Samples.publish(pipeline.models, "iris");
        String decoded = "incoming/iris/field trials/résultats 2026.csv";
        pipeline.put(decoded, Files.readAllBytes(Samples.data("iris.csv")));
        IngestTriggerHandler handler = new IngestTriggerHandler(pipeline.ingestor);

        List<JobIngestor.Outcome> outcomes = handler.handleRequest(event, null);
        List<JobIngestor.Outcome> again = handler.handleRequest(event, null);

        assertThat(outcomes).singleElement().satisfies(o -> {
            assertThat(o.key()).isEqualTo(decoded);
            assertThat(o.status()).isEqualTo(JobIngestor.Outcome.Status.STARTED);
            assertThat(o.chunks()).isEqualTo(2);
        });
        assertThat(again).singleElement().extracting(JobIngestor.Outcome::status)
                .isEqualTo(JobIngestor.Outcome.Status.DUPLICATE);
        assertThat(pipeline.workQueue.sent()).hasSize(2)
                .allSatisfy(body -> assertThat(JsonCodec.read(body, ChunkTask.class).jobId()).isEqualTo(outcomes.get(0).jobId()));
    }

    @Test
    void keysOutsideIncomingAreIgnored() {
        assertThat(IngestTriggerHandler.decodeKey("output/iris/a+b%2Bc.csv")).isEqualTo("output/iris/a b+c.csv");
        InMemoryPipeline pipeline = new InMemoryPipeline(cache, ChunkLimits.defaults());

        assertThat(pipeline.ingestor.ingest("output/iris/a.predictions.csv").status())
                .isEqualTo(JobIngestor.Outcome.Status.IGNORED);
        assertThat(pipeline.ingestor.ingest("incoming/no-model-segment.csv").status())
                .isEqualTo(JobIngestor.Outcome.Status.IGNORED);
        assertThat(pipeline.workQueue.sent()).isEmpty();
    }
}
