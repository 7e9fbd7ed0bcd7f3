package dev.batchinference.local.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.batchinference.json.JsonCodec;
import dev.batchinference.testing.Samples;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ./pipeline run} as a user meets it: settings as flags named after the functions' variables, folders
 * and globs as inputs, the check of each file against the model before anything starts, and exit codes.
 */
class RunOptionsIT {
    private static final String HEADER = "id,sepal_length,sepal_width,petal_length,petal_width\n";

    @TempDir
    Path dir;

    private Cli.Result run(String... args) {
        List<String> all = new ArrayList<>(List.of("run"));
        all.addAll(List.of(args));
        all.addAll(List.of("--models", Samples.root().resolve("models").toString(), "--out", dir.resolve("out").toString(),
                "--json"));
        return Cli.run(all.toArray(String[]::new));
    }

    private static JsonNode job(Cli.Result result, int index) throws Exception {
        return JsonCodec.mapper().readTree(result.stdout()).path("jobs").get(index);
    }

    @Test
    void theErrorThresholdIsAFlagOfRunAndItsMessageNamesIt() throws Exception {
        Path dirty = Files.writeString(dir.resolve("dirty.csv"), HEADER + "1,5.1,3.5,1.4,0.2\n2,x,3.0,1.4,0.2\n"
                + "3,4.9,3.0,1.4,0.2\n4,4.7,3.2,1.3,0.2\n");

        Cli.Result strict = run(dirty.toString(), "--model", "iris");
        Cli.Result tolerant = run(dirty.toString(), "--model", "iris", "--max-rejected-percent", "30",
                "--set", "OUTPUT_FORMAT=parquet");

        assertThat(strict.exitCode()).as(strict.stderr()).isEqualTo(1);
        assertThat(job(strict, 0).path("reason").asText()).isEqualTo("ERROR_THRESHOLD");
        assertThat(job(strict, 0).path("message").asText()).contains("MAX_REJECTED_PERCENT=5.0")
                .contains("--max-rejected-percent of ./pipeline run");
        assertThat(tolerant.exitCode()).as(tolerant.stderr()).isZero();
        assertThat(job(tolerant, 0).path("rowsRejected").asLong()).isEqualTo(1);
        assertThat(job(tolerant, 0).path("output").asText()).endsWith("dirty.csv.predictions.parquet");
        assertThat(Path.of(job(tolerant, 0).path("output").asText())).isRegularFile();
    }

    @Test
    void badSettingsAreRefusedBeforeAnythingStartsNamingTheFlag() {
        String iris = Samples.data("iris.csv").toString();

        Cli.Result percent = run(iris, "--model", "iris", "--max-rejected-percent", "300");
        Cli.Result delimiter = run(iris, "--model", "iris", "--delimiter", "colon");
        Cli.Result unknown = run(iris, "--model", "iris", "--set", "NO_SUCH_SETTING=1");
        Cli.Result owned = run(iris, "--model", "iris", "--set", "PIPELINE_BUCKET=other");

        assertThat(List.of(percent, delimiter, unknown, owned)).allSatisfy(r -> {
            assertThat(r.exitCode()).isEqualTo(2);
            assertThat(r.stderr()).doesNotContain("\tat ").doesNotContain("published");
        });
        assertThat(percent.stderr()).contains("--max-rejected-percent").contains("from 0 to 100").contains("'300'");
        assertThat(delimiter.stderr()).contains("--csv-delimiter").contains("auto, comma, semicolon, tab or pipe");
        assertThat(unknown.stderr()).contains("NO_SUCH_SETTING").contains("MAX_REJECTED_PERCENT");
        assertThat(owned.stderr()).contains("the local runtime sets PIPELINE_BUCKET itself");
    }

    @Test
    void aFolderRunsItsDataFilesAndAGlobTheFilesItMatches() throws Exception {
        Path folder = Files.createDirectories(dir.resolve("inputs"));
        Files.copy(Samples.data("iris.csv"), folder.resolve("a.csv"));
        Files.writeString(folder.resolve("b.csv"), HEADER + "1,5.1,3.5,1.4,0.2\n");
        Files.writeString(folder.resolve("README.md"), "# not data\n");
        Files.writeString(folder.resolve(".hidden.csv"), "not,even,csv\n");
        Path empty = Files.createDirectories(dir.resolve("empty"));

        Cli.Result all = run(folder.toString(), "--model", "iris");
        Cli.Result glob = run(folder + "/b*.csv", "--model", "iris");
        Cli.Result none = run(empty.toString(), "--model", "iris");
        Cli.Result noMatch = run(folder + "/z*.csv", "--model", "iris");

        assertThat(all.exitCode()).as(all.stderr()).isZero();
        java.util.Map<String, Long> rowsByInput = new java.util.TreeMap<>();
        JsonCodec.mapper().readTree(all.stdout()).path("jobs")
                .forEach(j -> rowsByInput.put(Path.of(j.path("input").asText()).getFileName().toString(), j.path("rowsOut").asLong()));
        assertThat(rowsByInput).containsExactly(java.util.Map.entry("a.csv", 150L), java.util.Map.entry("b.csv", 1L));
        assertThat(glob.exitCode()).as(glob.stderr()).isZero();
        assertThat(JsonCodec.mapper().readTree(glob.stdout()).path("jobs").size()).isEqualTo(1);
        assertThat(job(glob, 0).path("rowsOut").asLong()).isEqualTo(1);
        assertThat(none.exitCode()).isEqualTo(2);
        assertThat(none.stderr()).contains("no data files in the folder " + empty).contains(".parquet");
        assertThat(noMatch.exitCode()).isEqualTo(2);
        assertThat(noMatch.stderr()).contains("no data files match " + folder + "/z*.csv");
    }

    @Test
    void aFileThatDoesNotFitTheModelIsRefusedBeforeTheUploadNamingFileColumnAndModel() throws Exception {
        Path wrong = Files.writeString(dir.resolve("wrong.csv"), "id,sepal_length,sepal_width,petal_length\n1,5.1,3.5,1.4\n");
        Path notData = Files.writeString(dir.resolve("notes.md"), "# notes\n");

        Cli.Result checked = run(Samples.data("iris.csv").toString(), wrong.toString(), "--model", "iris");
        Cli.Result format = run(notData.toString(), "--model", "iris");
        Cli.Result mapped = run(wrong.toString(), "--model", "iris", "--feature-columns", "petal_width=sepal_length");

        assertThat(checked.exitCode()).isEqualTo(2);
        assertThat(checked.stderr()).contains(wrong + " does not fit model 'iris' v1 (SCHEMA_MISMATCH)")
                .contains("petal_width").contains("--no-check").doesNotContain("published");
        assertThat(format.exitCode()).isEqualTo(2);
        assertThat(format.stderr()).contains(notData + ": 'notes.md' is not a file the pipeline reads");
        // the column settings count: mapped, the file fits, and its job succeeds
        assertThat(mapped.exitCode()).as(mapped.stderr()).isZero();
    }

    @Test
    void noCommandPrintsTheUsageAndExits2AndRunsHelpNamesEveryKindOfInput() {
        Cli.Result bare = Cli.run();
        Cli.Result help = Cli.run("run", "--help");

        assertThat(bare.exitCode()).isEqualTo(2);
        assertThat(bare.stderr()).contains("Usage: pipeline").contains("plan");
        assertThat(help.exitCode()).isZero();
        assertThat(help.stdout()).contains(".parquet").contains("folders").contains("--max-rejected-percent")
                .contains("--set").contains("--endpoint").doesNotContain("CSV files with a header row");
    }
}
