package dev.batchinference.local.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.batchinference.json.JsonCodec;
import dev.batchinference.testing.Samples;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What {@code run --out} leaves in the folder: each input's outputs under its whole file name, never replacing
 * another input's, whether the other came in the same run or an earlier one; and failures that name the file.
 */
class RunOutputNamesIT {
    /** What {@code Object.toString} prints: a class name, '@' and a hash code in hex. */
    private static final String OBJECT_IDENTITY = "(?s).*@[0-9a-f]{6,}.*";

    @TempDir
    Path dir;

    private String models() {
        return Samples.root().resolve("models").toString();
    }

    private Cli.Result run(Path out, String model, String... files) {
        List<String> args = new ArrayList<>(List.of("run"));
        args.addAll(List.of(files));
        args.addAll(List.of("--model", model, "--models", models(), "--out", out.toString(), "--json"));
        return Cli.run(args.toArray(String[]::new));
    }

    private static List<JsonNode> jobs(Cli.Result result) throws IOException {
        List<JsonNode> jobs = new ArrayList<>();
        JsonCodec.mapper().readTree(result.stdout()).path("jobs").forEach(jobs::add);
        return jobs;
    }

    private static List<String> listing(Path out) throws IOException {
        try (Stream<Path> files = Files.list(out)) {
            return files.map(f -> f.getFileName().toString()).filter(n -> !n.startsWith(".")).sorted().toList();
        }
    }

    /** The README's "More to try": three runs of the same data in three formats into one out/, all kept. */
    @Test
    void theReadmesThreeFormatsOfOneFileKeepTheirOwnOutputsInOneFolder() throws IOException {
        Path out = dir.resolve("out");

        for (String[] run : new String[][] {{"transactions.csv", "500"}, {"transactions.parquet", "2500"},
                {"transactions.csv.gz", "1000"}}) {
            Cli.Result result = Cli.run("run", Samples.data(run[0]).toString(), "--model", "fraud", "--models", models(),
                    "--out", out.toString(), "--chunk-rows", run[1]);
            assertThat(result.exitCode()).as(result.stderr()).isZero();
            assertThat(result.stdout()).doesNotContain("note");
        }

        assertThat(listing(out)).containsExactly(
                "transactions.csv.gz.predictions.csv", "transactions.csv.gz.summary.json",
                "transactions.csv.predictions.csv", "transactions.csv.summary.json",
                "transactions.parquet.predictions.parquet", "transactions.parquet.summary.json");
        for (String name : List.of("transactions.csv.predictions.csv", "transactions.csv.gz.predictions.csv")) {
            assertThat(Files.readAllLines(out.resolve(name))).as(name).hasSize(10_001);
        }
    }

    @Test
    void twoInputsWithOneNameInOneRunKeepBothOutputsAndTheSecondIsNumbered() throws IOException {
        Path a = irisRows(dir.resolve("a"), 150);
        Path b = irisRows(dir.resolve("b"), 10);
        Path out = dir.resolve("out");

        Cli.Result result = run(out, "iris", a.toString(), b.toString(), a.toString());

        assertThat(result.exitCode()).as(result.stderr()).isZero();
        List<JsonNode> jobs = jobs(result);
        assertThat(jobs).extracting(j -> j.path("output").asText()).containsExactly(
                out.resolve("x.csv.predictions.csv").toString(), out.resolve("x~2.csv.predictions.csv").toString(),
                out.resolve("x~3.csv.predictions.csv").toString());
        assertThat(jobs).extracting(j -> j.path("rowsOut").asLong()).containsExactly(150L, 10L, 150L);
        assertThat(jobs.get(0).path("notice").isNull()).isTrue();
        assertThat(jobs.get(1).path("notice").asText()).contains("x~2.csv").contains(a.toAbsolutePath().toString());
        assertThat(jobs.get(2).path("notice").asText()).contains("x~3.csv").contains("given more than once");
        assertThat(Files.readAllLines(out.resolve("x.csv.predictions.csv"))).hasSize(151);
        assertThat(Files.readAllLines(out.resolve("x~2.csv.predictions.csv"))).hasSize(11);
        assertThat(Files.readAllLines(out.resolve("x~3.csv.predictions.csv"))).hasSize(151);
    }

    @Test
    void aLaterRunOfAnotherInputWithTheSameNameIsNumberedAndTheSameInputReplacesItsOwn() throws IOException {
        Path a = irisRows(dir.resolve("a"), 150);
        Path b = irisRows(dir.resolve("b"), 10);
        Path out = dir.resolve("out");
        // a's first run rejects a row, so it leaves an errors file
        Files.writeString(a, Files.readString(a) + "151,x,3.0,4.0,1.0,unknown\n");
        Cli.Result first = run(out, "iris", a.toString());
        assertThat(out.resolve("x.csv.errors.csv")).exists();

        Cli.Result other = run(out, "iris", b.toString());
        Files.writeString(a, String.join("\n", Files.readAllLines(a).subList(0, 151)) + "\n");
        Cli.Result again = run(out, "iris", a.toString());

        assertThat(first.exitCode()).as(first.stderr()).isZero();
        assertThat(jobs(other).get(0).path("notice").asText()).contains("x~2.csv")
                .contains(a.toAbsolutePath().toString());
        assertThat(other.stdout()).contains(out.resolve("x~2.csv.predictions.csv").toString());
        assertThat(jobs(again).get(0).path("notice").isNull()).isTrue();
        assertThat(jobs(again).get(0).path("output").asText()).isEqualTo(out.resolve("x.csv.predictions.csv").toString());
        assertThat(listing(out)).as("a's errors file of its first run went with the run that replaced it")
                .containsExactly("x.csv.predictions.csv", "x.csv.summary.json", "x~2.csv.predictions.csv",
                        "x~2.csv.summary.json");
        assertThat(Files.readAllLines(out.resolve("x~2.csv.predictions.csv"))).hasSize(11);
    }

    @Test
    void aCsvNamedParquetFailsNamingTheFileAndNoObjectIdentity() throws IOException {
        Path renamed = Files.copy(Samples.data("iris.csv"), dir.resolve("renamed.parquet"));

        Cli.Result checked = Cli.run("run", renamed.toString(), "--model", "iris", "--models", models(),
                "--out", dir.resolve("out").toString());
        Cli.Result run = Cli.run("run", renamed.toString(), "--model", "iris", "--models", models(),
                "--out", dir.resolve("out").toString(), "--no-check");
        Cli.Result predict = Cli.run("predict", renamed.toString(), "--model", "iris", "--models", models(),
                "--out", dir.resolve("p.csv").toString());

        // refused before the upload, or, unchecked, by the job
        assertThat(checked.exitCode()).isEqualTo(2);
        assertThat(checked.stderr()).contains(renamed + ": renamed.parquet is not a Parquet file")
                .doesNotMatch(OBJECT_IDENTITY).doesNotContain("published");
        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.stdout()).contains("UNREADABLE_INPUT: renamed.parquet is not a Parquet file");
        assertThat(run.stdout() + run.stderr()).doesNotMatch(OBJECT_IDENTITY);
        assertThat(predict.exitCode()).isNotZero();
        assertThat(predict.stderr()).contains("renamed.parquet is not a Parquet file").doesNotMatch(OBJECT_IDENTITY);
    }

    /**
     * Predictions the bucket holds in parts come to the folder as they are in the bucket, a folder with the manifest
     * and the parts, which the report names; a later run of the same input in one object replaces them.
     */
    @Test
    void predictionsInPartsArriveAsTheirFolderAndALaterOneObjectRunReplacesThem() throws IOException {
        Path out = dir.resolve("out");
        String input = Samples.data("iris.csv").toString();

        Cli.Result parts = Cli.run("run", input, "--model", "iris", "--models", models(), "--out", out.toString(),
                "--chunk-rows", "40", "--set", "MAX_OUTPUT_PARTS=3", "--json");

        assertThat(parts.exitCode()).as(parts.stderr()).isZero();
        JsonNode job = jobs(parts).get(0);
        Path manifest = out.resolve("iris.csv.predictions").resolve("manifest.json");
        assertThat(job.path("output").asText()).isEqualTo(manifest.toString());
        assertThat(listing(out)).containsExactly("iris.csv.predictions", "iris.csv.summary.json");
        assertThat(listing(out.resolve("iris.csv.predictions"))).containsExactly("manifest.json", "part-00000.csv",
                "part-00001.csv");
        StringBuilder rows = new StringBuilder();
        for (JsonNode part : JsonCodec.mapper().readTree(manifest.toFile()).path("parts")) {
            String key = part.path("key").asText();
            List<String> lines = Files.readAllLines(out.resolve("iris.csv.predictions")
                    .resolve(key.substring(key.lastIndexOf('/') + 1)));
            assertThat(lines.get(0)).contains(",label,prob_setosa,");
            assertThat(lines).hasSize((int) part.path("rows").asLong() + 1);
            lines.subList(1, lines.size()).forEach(l -> rows.append(l).append('\n'));
        }
        assertThat(rows.toString().lines()).hasSize(150);

        Cli.Result oneObject = run(out, "iris", input);

        assertThat(oneObject.exitCode()).as(oneObject.stderr()).isZero();
        assertThat(listing(out)).containsExactly("iris.csv.predictions.csv", "iris.csv.summary.json");
        assertThat(String.join("\n", Files.readAllLines(out.resolve("iris.csv.predictions.csv")).subList(1, 151)) + "\n")
                .isEqualTo(rows.toString());
    }

    private static Path irisRows(Path folder, int rows) throws IOException {
        List<String> lines = Files.readAllLines(Samples.data("iris.csv"));
        return Files.writeString(Files.createDirectories(folder).resolve("x.csv"),
                String.join("\n", lines.subList(0, rows + 1)) + "\n");
    }
}
