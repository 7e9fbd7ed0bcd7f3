package dev.batchinference.format;

import static org.assertj.core.api.Assertions.assertThat;

import dev.batchinference.format.ChunkLimits;
import dev.batchinference.job.JobKeys;
import dev.batchinference.job.JobState;
import dev.batchinference.job.JobSummary;
import dev.batchinference.json.JsonCodec;
import dev.batchinference.testing.InMemoryPipeline;
import dev.batchinference.testing.Samples;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Parquet pages compressed with BROTLI, as pyarrow writes them, are read like any other codec's. */
class BrotliParquetTest {
    @TempDir
    Path dir;

    @Test
    void predictsAPyarrowFileWithBrotliPagesAsTheSameFileWithSnappyPages() throws IOException {
        InMemoryPipeline p = new InMemoryPipeline(dir.resolve("cache"), new ChunkLimits(100, Long.MAX_VALUE));
        Samples.publish(p.models, "iris");
        Path brotli = Samples.root().resolve("test-data/iris-brotli.parquet");
        String brotliKey = p.put("incoming/iris/brotli.parquet", Files.readAllBytes(brotli));
        String snappyKey = p.put("incoming/iris/snappy.parquet", Files.readAllBytes(Samples.data("iris.parquet")));

        p.runToEnd(brotliKey);
        p.runToEnd(snappyKey);

        JobSummary summary = JsonCodec.read(p.text(JobKeys.summary(brotliKey)), JobSummary.class);
        assertThat(summary.state()).as(summary.message()).isEqualTo(JobState.SUCCEEDED);
        assertThat(summary.rowsOut()).isEqualTo(150);
        assertThat(bytes(p, JobKeys.predictions(brotliKey, OutputFormat.PARQUET)))
                .isEqualTo(bytes(p, JobKeys.predictions(snappyKey, OutputFormat.PARQUET)));
    }

    private static byte[] bytes(InMemoryPipeline p, String key) throws IOException {
        try (InputStream in = p.store.read(key)) {
            return in.readAllBytes();
        }
    }
}
