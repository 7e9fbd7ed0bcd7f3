package dev.batchinference.local.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.batchinference.json.JsonCodec;
import dev.batchinference.testing.Samples;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code ./pipeline plan}: a dry run on the samples and on a file that does not fit, with no job started. */
class PlanCommandIT {
    @TempDir
    Path dir;

    private String models() {
        return Samples.root().resolve("models").toString();
    }

    @Test
    void theSamplesFitAndTheirChunksSampleAndEstimateAreReported() throws Exception {
        Cli.Result csv = Cli.run("plan", Samples.data("transactions.csv").toString(), "--model", "fraud", "--models", models(),
                "--chunk-rows", "500", "--json", "--rows-per-second", "100000", "--concurrency", "10");
        Cli.Result parquet = Cli.run("plan", Samples.data("transactions.parquet").toString(), "--model", "fraud",
                "--models", models(), "--chunk-max-rows", "2500");
        Cli.Result text = Cli.run("plan", Samples.data("iris.csv").toString(), "--model", "iris", "--models", models());

        assertThat(csv.exitCode()).as(csv.stderr()).isZero();
        JsonNode f = JsonCodec.mapper().readTree(csv.stdout()).path("files").get(0);
        assertThat(f.path("fits").asBoolean()).isTrue();
        assertThat(f.path("rows").asLong()).isEqualTo(10_000);
        assertThat(f.path("chunks").size()).isEqualTo(20);
        assertThat(f.path("sample").get(0).asText()).isEqualTo("id,channel,label,prob_legit,prob_fraud");
        assertThat(f.path("sample").get(1).asText()).startsWith("txn-000001,online,");
        JsonNode estimate = f.path("lambda").path("estimate");
        assertThat(f.path("lambda").path("rowsPerSecondSource").asText()).isEqualTo("--rows-per-second");
        // 20 chunks of 500 rows at 100,000 rows/s: 20 × (0.2 + 0.005) s at 2 GB
        assertThat(estimate.path("functions").get(1).path("gbSeconds").asDouble()).isCloseTo(8.2, org.assertj.core.data.Offset.offset(1e-9));
        assertThat(estimate.path("lambdaRequests").asLong()).isEqualTo(41);
        assertThat(estimate.path("concurrency").asInt()).isEqualTo(10);
        assertThat(estimate.path("x86Dollars").asDouble()).isGreaterThan(estimate.path("arm64Dollars").asDouble());
        assertThat(parquet.exitCode()).as(parquet.stderr()).isZero();
        assertThat(parquet.stdout()).contains("chunks     4 (CHUNK_MAX_ROWS 2500");
        assertThat(text.stdout()).contains("fits       CSV, 150 rows").contains("an estimate")
                .contains("on arm64").contains("on x86_64").contains("wall time about")
                .contains("1,setosa,setosa,0.9847031");
        assertThat(text.stderr() + text.stdout()).doesNotContain("published").doesNotContain("(job ");
    }

    @Test
    void aFileThatDoesNotFitSaysWhyAndExits2() throws Exception {
        Path wrong = Files.writeString(dir.resolve("wrong.csv"), "id,a,b\n1,2,3\n");

        Cli.Result json = Cli.run("plan", wrong.toString(), Samples.data("iris.csv").toString(), "--model", "iris",
                "--models", models(), "--json");
        Cli.Result text = Cli.run("plan", Samples.data("transactions.parquet").toString(), "--model", "iris",
                "--models", models());

        assertThat(json.exitCode()).isEqualTo(2);
        JsonNode files = JsonCodec.mapper().readTree(json.stdout()).path("files");
        assertThat(files.get(0).path("fits").asBoolean()).isFalse();
        assertThat(files.get(0).path("reason").asText()).isEqualTo("SCHEMA_MISMATCH");
        assertThat(files.get(0).path("message").asText()).contains("sepal_length");
        assertThat(files.get(1).path("fits").asBoolean()).isTrue();
        assertThat(text.exitCode()).isEqualTo(2);
        assertThat(text.stdout()).contains("transactions.parquet with model iris v1").contains("does not fit (SCHEMA_MISMATCH)");
    }

    @Test
    void scaledInputsAreEstimatedWithTheLimitsTheyMeet() throws Exception {
        Cli.Result json = Cli.run("plan", Samples.data("transactions.csv").toString(), "--model", "fraud", "--models",
                models(), "--json", "--rows-per-second", "1000000", "--first-chunk-rows-per-second", "100000",
                "--scale-to", "1GB,1TB");
        Cli.Result text = Cli.run("plan", Samples.data("iris.csv").toString(), "--model", "iris", "--models", models(),
                "--scale-to", "100GB");
        Cli.Result bad = Cli.run("plan", Samples.data("iris.csv").toString(), "--model", "iris", "--models", models(),
                "--scale-to", "lots");

        assertThat(json.exitCode()).as(json.stderr()).isZero();
        JsonNode f = JsonCodec.mapper().readTree(json.stdout()).path("files").get(0);
        double bytesPerRow = f.path("bytes").asDouble() / f.path("rows").asLong();
        JsonNode gb = f.path("lambda").path("scaled").get(0);
        long rows = Math.round(1e9 / bytesPerRow);
        assertThat(gb.path("rows").asLong()).isEqualTo(rows);
        assertThat(gb.path("chunks").asLong()).isEqualTo((rows + 199_999) / 200_000);
        assertThat(gb.path("limits").size()).isZero();
        // every chunk in its own new environment (fewer chunks than 100 workers): each at the first-chunk rate
        double chunkSeconds = 0.2 + (double) rows / gb.path("chunks").asLong() / 100_000;
        assertThat(gb.path("estimate").path("functions").get(1).path("seconds").asDouble())
                .isCloseTo(chunkSeconds * gb.path("chunks").asLong(), org.assertj.core.data.Offset.offset(1e-6));
        JsonNode tb = f.path("lambda").path("scaled").get(1);
        assertThat(tb.path("chunks").asLong()).isGreaterThan(10_000);
        assertThat(tb.path("limits").toString()).contains("MAX_CHUNKS_PER_JOB").contains("ingest invocation");
        assertThat(tb.path("estimate").path("arm64Dollars").asDouble())
                .isGreaterThan(gb.path("estimate").path("arm64Dollars").asDouble() * 100);
        assertThat(text.exitCode()).as(text.stderr()).isZero();
        assertThat(text.stdout()).contains("scaled     inputs of rows like these").contains("100GB");
        assertThat(bad.exitCode()).isEqualTo(2);
        assertThat(bad.stderr()).contains("--scale-to takes sizes such as").contains("'lots'");
    }
}
