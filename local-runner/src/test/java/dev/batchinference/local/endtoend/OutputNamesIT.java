package dev.batchinference.local.endtoend;

import static org.assertj.core.api.Assertions.assertThat;

import dev.batchinference.job.JobKeys;
import dev.batchinference.job.JobState;
import dev.batchinference.job.JobSummary;
import dev.batchinference.json.JsonCodec;
import dev.batchinference.local.runtime.LocalPipeline;
import dev.batchinference.storage.ObjectStore;
import dev.batchinference.testing.Samples;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Inputs whose names differ only in their extension or its case, dropped one after the other into the same
 * folder, each keep their own predictions and summary through the embedded runtime (S3Proxy on disk, ElasticMQ,
 * the three handlers).
 */
class OutputNamesIT {
    private static final Duration TIMEOUT = Duration.ofMinutes(3);

    @TempDir
    Path dir;

    @Test
    void inputsNamedAlikeKeepTheirOwnOutputs() throws IOException {
        Map<String, Integer> rowsByInput = new LinkedHashMap<>();
        rowsByInput.put("coll.csv", 150);
        rowsByInput.put("coll.tsv", 10);
        rowsByInput.put("case.csv", 150);
        rowsByInput.put("case.CSV", 7);

        try (LocalPipeline pipeline = LocalPipeline.start(LocalPipeline.Options.defaults())) {
            pipeline.publishModel(Samples.model("iris"));
            for (Map.Entry<String, Integer> input : rowsByInput.entrySet()) {
                String key = "incoming/iris/" + input.getKey();
                pipeline.put(key, irisFile(input.getKey(), input.getValue()));
                JobSummary end = pipeline.awaitEnd(pipeline.jobIdFor(key), TIMEOUT)
                        .orElseThrow(() -> new AssertionError(key + " did not end within " + TIMEOUT));
                assertThat(end.state()).as(key).isEqualTo(JobState.SUCCEEDED);
            }

            for (Map.Entry<String, Integer> input : rowsByInput.entrySet()) {
                String key = "incoming/iris/" + input.getKey();
                JobSummary summary = JsonCodec.read(text(pipeline.store(), JobKeys.summary(key)), JobSummary.class);
                assertThat(summary.input().key()).isEqualTo(key);
                assertThat(summary.rowsOut()).as(key).isEqualTo((long) input.getValue());
                assertThat(text(pipeline.store(), JobKeys.predictions(key)).lines().count()).as(key)
                        .isEqualTo(input.getValue() + 1);
            }
            assertThat(pipeline.store().listObjects(JobKeys.OUTPUT)).extracting(ObjectStore.StoredObject::key)
                    .containsExactlyInAnyOrder(
                            "output/iris/case.CSV.predictions.csv", "output/iris/case.CSV.summary.json",
                            "output/iris/case.csv.predictions.csv", "output/iris/case.csv.summary.json",
                            "output/iris/coll.csv.predictions.csv", "output/iris/coll.csv.summary.json",
                            "output/iris/coll.tsv.predictions.csv", "output/iris/coll.tsv.summary.json");
        }
    }

    /** The first {@code rows} rows of the iris sample, tab-separated for a .tsv. */
    private Path irisFile(String name, int rows) throws IOException {
        List<String> lines = Files.readAllLines(Samples.data("iris.csv"));
        String text = String.join("\n", lines.subList(0, rows + 1)) + "\n";
        Path file = Files.createDirectories(dir.resolve(name.replace('.', '_'))).resolve(name);
        return Files.writeString(file, name.endsWith(".tsv") ? text.replace(',', '\t') : text);
    }

    private static String text(ObjectStore store, String key) throws IOException {
        try (InputStream in = store.read(key)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
