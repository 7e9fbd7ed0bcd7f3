package dev.batchinference.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import com.amazonaws.services.lambda.runtime.events.S3Event;
import com.amazonaws.services.lambda.runtime.tests.EventLoader;
import com.amazonaws.services.lambda.runtime.tests.annotations.Event;
import com.amazonaws.services.lambda.runtime.tests.annotations.Events;
import dev.batchinference.config.PipelineConfig.ChunkLimits;
import dev.batchinference.job.ChunkTask;
import dev.batchinference.json.JsonCodec;
import dev.batchinference.testing.InMemoryPipeline;
import dev.batchinference.testing.Samples;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.api.io.TempDir;

/** The ingest handler on S3's notification JSON, verbatim (samples/events). */
class IngestTriggerHandlerTest {
    private static final String PUT = "../samples/events/s3-object-created-put.json";
    private static final String COMPLETE_MULTIPART_UPLOAD = "../samples/events/s3-object-created-complete-multipart-upload.json";

    @TempDir
    Path cache;

    /** The in-memory pipeline with the iris model and, under the event's decoded key, the iris sample. */
    private InMemoryPipeline pipelineHolding(String decodedKey) throws Exception {
        InMemoryPipeline pipeline = new InMemoryPipeline(cache, new ChunkLimits(100, Long.MAX_VALUE));
        Samples.publish(pipeline.models, "iris");
        pipeline.put(decodedKey, Files.readAllBytes(Samples.data("iris.csv")));
        return pipeline;
    }

    @ParameterizedTest
    @Events(type = S3Event.class, events = {@Event(value = PUT, type = S3Event.class),
            @Event(value = COMPLETE_MULTIPART_UPLOAD, type = S3Event.class)})
    void everyObjectCreatedEventStartsOneJobAndItsRedeliveryIsADuplicate(S3Event event) throws Exception {
        String key = IngestTriggerHandler.decodeKey(event.getRecords().get(0).getS3().getObject().getKey());
        InMemoryPipeline pipeline = pipelineHolding(key);
        IngestTriggerHandler handler = new IngestTriggerHandler(pipeline.ingestor);

        List<JobIngestor.Outcome> first = handler.handleRequest(event, null);
        List<JobIngestor.Outcome> again = handler.handleRequest(event, null);

        assertThat(first).singleElement().extracting(JobIngestor.Outcome::status).isEqualTo(JobIngestor.Outcome.Status.STARTED);
        assertThat(again).singleElement().satisfies(o -> {
            assertThat(o.status()).isEqualTo(JobIngestor.Outcome.Status.DUPLICATE);
            assertThat(o.jobId()).isEqualTo(first.get(0).jobId());
        });
        assertThat(pipeline.workQueue.sent()).hasSize(first.get(0).chunks());
    }

    @Test
    void aCompletedMultipartUploadIsIngestedLikeAPutUnderItsDecodedKey() throws Exception {
        S3Event event = EventLoader.loadS3Event(COMPLETE_MULTIPART_UPLOAD);
        String decoded = "incoming/iris/uploads/2026-11/mesures – serre n°3.csv";
        InMemoryPipeline pipeline = pipelineHolding(decoded);

        List<JobIngestor.Outcome> outcomes = new IngestTriggerHandler(pipeline.ingestor).handleRequest(event, null);

        assertThat(event.getRecords().get(0).getEventName()).isEqualTo("ObjectCreated:CompleteMultipartUpload");
        assertThat(outcomes).singleElement().satisfies(o -> {
            assertThat(o.key()).isEqualTo(decoded);
            assertThat(o.status()).isEqualTo(JobIngestor.Outcome.Status.STARTED);
            assertThat(o.chunks()).isEqualTo(2);
        });
    }

    @Test
    void aUrlEncodedKeyWithSpacesAndUnicodeIsDecodedAndStartsOneJob() throws Exception {
        S3Event event = EventLoader.loadS3Event(PUT);
        String decoded = "incoming/iris/field trials/résultats 2026.csv";
        InMemoryPipeline pipeline = pipelineHolding(decoded);
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
