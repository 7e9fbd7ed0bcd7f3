package dev.batchinference.json;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.batchinference.failure.FailureReason;
import dev.batchinference.failure.JobFailure;
import dev.batchinference.format.ChunkLimits;
import dev.batchinference.format.ChunkRange;
import dev.batchinference.job.ChunkResult;
import dev.batchinference.job.ChunkTask;
import dev.batchinference.job.JobKeys;
import dev.batchinference.job.JobPlan;
import dev.batchinference.job.ResultMessage;
import dev.batchinference.model.ModelManifest;
import dev.batchinference.testing.InMemoryPipeline;
import dev.batchinference.testing.Samples;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The streaming codec reads and writes the same JSON as {@link JsonCodec}, on the documents the worker handles. */
class RecordJsonTest {

    @Test
    void readsAPlanAsIngestWroteIt(@TempDir Path cache) throws Exception {
        InMemoryPipeline pipeline = new InMemoryPipeline(cache, new ChunkLimits(40, 1 << 20));
        Samples.publish(pipeline.models, "iris");
        String key = pipeline.put("incoming/iris/iris.csv", Files.readAllBytes(Samples.data("iris.csv")));
        String jobId = pipeline.ingestor.ingest(key).jobId();
        String json = pipeline.text(JobKeys.plan(jobId));

        JobPlan plan = RecordJson.read(json, JobPlan.class);

        assertThat(plan).isEqualTo(JsonCodec.read(json, JobPlan.class));
        assertThat(plan.chunks()).hasSizeGreaterThan(1);
        assertThat(plan.input().lastModified()).isNotNull();
        assertThat(plan.manifest().createdAt()).as("a @JsonProperty name").isNotNull();
        assertThat(plan.layout().delimiter()).isEqualTo(',');
    }

    @Test
    void writesPlansAsJsonCodecDoes(@TempDir Path cache) throws Exception {
        InMemoryPipeline pipeline = new InMemoryPipeline(cache, new ChunkLimits(40, 1 << 20));
        Samples.publish(pipeline.models, "iris");
        String key = pipeline.put("incoming/iris/iris.csv", Files.readAllBytes(Samples.data("iris.csv")));
        JobPlan plan = RecordJson.read(pipeline.text(JobKeys.plan(pipeline.ingestor.ingest(key).jobId())), JobPlan.class);
        JobPlan rejected = JobPlan.rejected("job-2", plan.input(), new JobFailure(FailureReason.UNKNOWN_MODEL, "no \"m\""),
                plan.createdAt());

        for (JobPlan p : List.of(plan, rejected)) {
            assertThat(RecordJson.write(p)).isEqualTo(JsonCodec.write(p));
        }
    }

    @Test
    void writesTasksAsJsonCodecDoes() {
        for (ChunkRange chunk : List.of(new ChunkRange(3, 100, 2_000, 17L), new ChunkRange(0, 0, 0, "jobs/j/staged/0.csv", 0L))) {
            assertThat(RecordJson.write(ChunkTask.of("job-1", chunk))).isEqualTo(JsonCodec.write(ChunkTask.of("job-1", chunk)));
        }
    }

    @Test
    void readsATaskAsIngestWritesIt() {
        for (ChunkRange chunk : List.of(new ChunkRange(3, 100, 2_000, 17L), new ChunkRange(0, 0, 0, "jobs/j/staged/0.csv", 0L))) {
            String json = JsonCodec.write(ChunkTask.of("job-1", chunk));
            assertThat(RecordJson.read(json, ChunkTask.class)).isEqualTo(ChunkTask.of("job-1", chunk));
        }
    }

    @Test
    void writesResultMessagesAsJsonCodecDoes() {
        List<ResultMessage> messages = List.of(
                ResultMessage.chunkDone("job-1", new ChunkResult(2, 2_048, 2_040, 8, 11, 12, 13, 14, 99)),
                ResultMessage.chunkFailed("job-1", 4, new JobFailure(FailureReason.INPUT_CHANGED, "say \"why\"\n")));
        for (ResultMessage message : messages) {
            assertThat(RecordJson.write(message)).isEqualTo(JsonCodec.write(message));
            assertThat(JsonCodec.read(RecordJson.write(message), ResultMessage.class)).isEqualTo(message);
        }
    }

    @Test
    void readsUntypedValuesAsJacksonDoesAndSkipsUnknownFields() {
        String json = "{\"name\":\"m\",\"added\":{\"a\":[1,{\"b\":null}]},\"input\":{\"name\":\"x\","
                + "\"shape\":[\"batch\",4,2.5,true,null,[1]],\"dtype\":\"float32\"},\"outputs\":{\"probabilities\":\"p\"}}";

        ModelManifest manifest = RecordJson.read(json, ModelManifest.class);

        assertThat(manifest).isEqualTo(JsonCodec.read(json, ModelManifest.class));
        assertThat(manifest.input().shape().get(1)).isInstanceOf(Integer.class);
        assertThat(manifest.outputs()).isEqualTo(Map.of("probabilities", "p"));
        assertThat(manifest.files()).isNull();
    }

    @Test
    void absentPrimitivesAreZeroAndAbsentObjectsNull() {
        assertThat(RecordJson.read("{\"index\":7}", ChunkRange.class)).isEqualTo(new ChunkRange(7, 0, 0, null, null));
    }

    @Test
    void malformedOrMistypedJsonFailsAsAnIoProblem() {
        assertThatThrownBy(() -> RecordJson.read("{\"type\":", ChunkTask.class)).isInstanceOf(UncheckedIOException.class);
        assertThatThrownBy(() -> RecordJson.read("{\"chunk\":\"three\"}", ChunkTask.class))
                .isInstanceOf(UncheckedIOException.class);
        assertThatThrownBy(() -> RecordJson.read("{\"reason\":\"NO_SUCH_REASON\"}", JobFailure.class))
                .isInstanceOf(UncheckedIOException.class);
        // jackson-jr alone would read these as 0 and as a null source whose "index" is the range's own
        assertThatThrownBy(() -> RecordJson.read("{\"startByte\":\"x\"}", ChunkRange.class))
                .isInstanceOf(UncheckedIOException.class);
        assertThatThrownBy(() -> RecordJson.read("{\"source\":{\"index\":5}}", ChunkRange.class))
                .isInstanceOf(UncheckedIOException.class);
    }
}
