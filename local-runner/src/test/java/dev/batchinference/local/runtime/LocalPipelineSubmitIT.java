package dev.batchinference.local.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import dev.batchinference.job.JobState;
import dev.batchinference.job.JobSummary;
import dev.batchinference.testing.Samples;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * How {@code run} puts its inputs into the embedded S3: a file over one part in a multipart upload, as the
 * aws CLI does, so that S3Proxy (which holds a PUT's whole body in this JVM's heap to check its signature)
 * never holds more than a part. A single PUT of a file larger than the heap failed with "Error writing
 * request body to server".
 */
class LocalPipelineSubmitIT {

    @Test
    void aFileOverOnePartGoesUpInPartsAndItsJobSucceeds(@TempDir Path dir) throws IOException {
        List<String> iris = Files.readAllLines(Samples.data("iris.csv"), StandardCharsets.UTF_8);
        Path big = dir.resolve("iris-big.csv");
        long rows = 0;
        try (BufferedWriter out = Files.newBufferedWriter(big, StandardCharsets.UTF_8)) {
            out.write(iris.get(0));
            out.newLine();
            while (Files.size(big) <= 9L * 1024 * 1024) { // over one 8 MiB part
                for (String row : iris.subList(1, iris.size())) {
                    out.write(rows + row.substring(row.indexOf(',')));
                    out.newLine();
                    rows++;
                }
                out.flush();
            }
        }

        try (LocalPipeline pipeline = LocalPipeline.start(LocalPipeline.Options.defaults().withEnvironments(1, 1))) {
            pipeline.publishModel(Samples.model("iris"));
            String key = pipeline.submit(big, "iris");

            assertThat(pipeline.store().head(key).orElseThrow().etag()).as("a multipart upload's ETag").endsWith("-2\"");
            JobSummary end = pipeline.awaitEnd(pipeline.jobIdFor(key), Duration.ofMinutes(2)).orElseThrow();
            assertThat(end.state()).isEqualTo(JobState.SUCCEEDED);
            assertThat(end.rowsOut()).isEqualTo(rows);
        }
    }

    @Test
    void aSmallFileIsOnePut() {
        try (LocalPipeline pipeline = LocalPipeline.start(LocalPipeline.Options.defaults().withEnvironments(1, 1))) {
            pipeline.publishModel(Samples.model("iris"));
            String key = pipeline.submit(Samples.data("iris.csv"), "iris");

            assertThat(pipeline.store().head(key).orElseThrow().etag()).doesNotContain("-");
            assertThat(pipeline.awaitEnd(pipeline.jobIdFor(key), Duration.ofMinutes(1))).get()
                    .extracting(JobSummary::state).isEqualTo(JobState.SUCCEEDED);
        }
    }
}
