package dev.batchinference.local.cli;

import static dev.batchinference.testing.PredictionAssertions.assertSamePredictions;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.batchinference.json.JsonCodec;
import dev.batchinference.testing.Samples;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The CLI as users call it: exit codes, the --json document, files written. */
class PipelineCliIT {
    @TempDir
    Path dir;

    private static Cli.Result cli(String... args) {
        return Cli.run(args);
    }

    private String models() {
        return Samples.root().resolve("models").toString();
    }

    @Test
    void runPrintsTheJsonDocumentAndExitsZeroWhenEveryJobSucceeded() throws Exception {
        Path bad = dir.resolve("no-petals.csv");
        Files.writeString(bad, "id,sepal_length,sepal_width\n1,5.1,3.5\n");

        Cli.Result ok = cli("run", Samples.data("iris.csv").toString(), "--model", "iris", "--models", models(),
                "--out", dir.resolve("out").toString(), "--chunk-rows", "40", "--json");
        Cli.Result failed = cli("run", bad.toString(), "--model", "iris", "--models", models(),
                "--out", dir.resolve("out").toString(), "--json", "--no-check");

        assertThat(ok.exitCode()).as(ok.stderr()).isZero();
        JsonNode job = JsonCodec.mapper().readTree(ok.stdout()).path("jobs").get(0);
        for (String field : new String[] {"jobId", "input", "model", "modelVersion", "state", "reason", "rowsIn",
                "rowsOut", "rowsRejected", "chunks", "output", "errors", "summary", "durationMs"}) {
            assertThat(job.has(field)).as("field %s", field).isTrue();
        }
        assertThat(job.path("state").asText()).isEqualTo("SUCCEEDED");
        assertThat(job.path("rowsOut").asLong()).isEqualTo(150);
        assertThat(job.path("chunks").asInt()).isEqualTo(4);
        assertSamePredictions(Samples.csv(Path.of(job.path("output").asText())),
                Samples.csv(Samples.expected("iris.predictions.csv")));

        assertThat(failed.exitCode()).isEqualTo(1);
        JsonNode failure = JsonCodec.mapper().readTree(failed.stdout()).path("jobs").get(0);
        assertThat(failure.path("state").asText()).isEqualTo("FAILED");
        assertThat(failure.path("reason").asText()).isEqualTo("SCHEMA_MISMATCH");
        assertThat(failure.path("message").asText()).contains("petal_length, petal_width");
    }

    @Test
    void predictWritesTheSamePredictionsOfflineAndRejectedRowsBesideThem() throws Exception {
        Path input = dir.resolve("dirty.csv");
        Files.writeString(input, Files.readString(Samples.data("iris.csv")) + "151,x,3.0,4.0,1.0,unknown\n");
        Path out = dir.resolve("predictions.csv");

        Cli.Result result = cli("predict", input.toString(), "--model", Samples.model("iris").toString(),
                "--out", out.toString());

        assertThat(result.exitCode()).as(result.stderr()).isZero();
        assertSamePredictions(Samples.csv(out), Samples.csv(Samples.expected("iris.predictions.csv")));
        assertThat(Files.readString(dir.resolve("predictions.errors.csv")))
                .isEqualTo("row,column,reason\n151,sepal_length,not a number (text of 1 character)\n");
    }

    @Test
    void rowDataInBadFilesReachesNeitherStandardOutputNorStandardError() throws Exception {
        String marker = "Qz7mrk";
        String header = "id,sepal_length,sepal_width,petal_length,petal_width";
        java.util.Map<String, String> files = new java.util.LinkedHashMap<>();
        files.put("no-header.csv", marker + ",5.1,3.5,1.4,0.2\n");
        files.put("unclosed.csv", header + "\n1,\"" + marker + ",3.5\n");
        files.put("stray.csv", header + "\n1,5\"" + marker + ",3.5,1.4,0.2\n");
        files.put("words.csv", header + "\n1," + marker + ",3.5,1.4,0.2\n2,1,2,3," + marker + "Infinity\n");
        files.put("repeated.csv", marker + "," + marker + ",1\n");
        files.put("text.parquet", header + "\n" + marker + ",1,2,3,4\n");
        java.util.List<String> run = new java.util.ArrayList<>(java.util.List.of("run"));
        java.util.List<Cli.Result> results = new java.util.ArrayList<>();
        for (var file : files.entrySet()) {
            Path path = dir.resolve(file.getKey());
            Files.writeString(path, file.getValue());
            run.add(path.toString());
            results.add(cli("predict", path.toString(), "--model", Samples.model("iris").toString(),
                    "--out", dir.resolve("p-" + file.getKey() + ".csv").toString()));
        }
        run.addAll(java.util.List.of("--model", "iris", "--models", models(), "--out", dir.resolve("out").toString()));
        Cli.Result checked = cli(run.toArray(String[]::new));
        run.add("--no-check");
        results.add(cli(run.toArray(String[]::new)));
        run.add("--json");
        results.add(cli(run.toArray(String[]::new)));

        for (Cli.Result result : results) {
            assertThat(result.stdout() + result.stderr()).doesNotContain(marker);
        }
        // the check before the upload refuses the first file that does not fit, and quotes no data either
        assertThat(checked.exitCode()).isEqualTo(2);
        assertThat(checked.stderr()).contains("does not fit model 'iris'").doesNotContain(marker);
        // predict has no error threshold: a file with rejected rows is fine there; run fails every one of them
        assertThat(results.subList(files.size(), results.size())).allSatisfy(r -> {
            assertThat(r.exitCode()).isEqualTo(1);
            assertThat(r.stdout() + r.stderr()).contains("FAILED").contains("SCHEMA_MISMATCH").contains("UNREADABLE_INPUT");
        });
    }

    @Test
    void mistakesGetOneLineThatNamesTheProblem() {
        Cli.Result noModel = cli("run", Samples.data("iris.csv").toString(), "--model", "nosuch", "--models", models());
        Cli.Result noFile = cli("predict", dir.resolve("missing.csv").toString(), "--model", "iris", "--out", "x.csv");

        assertThat(noModel.exitCode()).isEqualTo(2);
        assertThat(noModel.stderr()).contains("no model 'nosuch'").contains("available: fraud, iris")
                .doesNotContain("Exception").doesNotContain("\tat ");
        assertThat(noFile.exitCode()).isEqualTo(2);
        assertThat(noFile.stderr()).contains("no such file").doesNotContain("\tat ");
    }

    @Test
    void namesThatWouldEscapeTheirFolderOrOutgrowTheStoreAreRefusedBeforeAnyRequest() throws Exception {
        Path longName = Files.write(dir.resolve("n".repeat(246) + ".csv"), Files.readAllBytes(Samples.data("iris.csv")));

        Cli.Result escape = cli("models", "publish", "../evil", Samples.model("iris").toString(), "--endpoint",
                "http://127.0.0.1:9");
        Cli.Result slash = cli("models", "publish", "iris", Samples.model("iris").toString(), "--version", "1/../../x",
                "--endpoint", "http://127.0.0.1:9");
        Cli.Result upper = cli("models", "promote", "Iris", "1", "--endpoint", "http://127.0.0.1:9");
        Cli.Result tooLong = cli("run", longName.toString(), "--model", "iris", "--models", models(), "--out",
                dir.resolve("out").toString());

        assertThat(escape.exitCode()).isEqualTo(2);
        assertThat(escape.stderr()).contains("model name '../evil' is not valid").contains("a-z, 0-9");
        assertThat(slash.exitCode()).isEqualTo(2);
        assertThat(slash.stderr()).contains("version '1/../../x' is not valid");
        assertThat(upper.exitCode()).isEqualTo(2);
        assertThat(upper.stderr()).contains("model name 'Iris' is not valid");
        assertThat(tooLong.exitCode()).isEqualTo(2);
        assertThat(tooLong.stderr()).contains("is too long for the pipeline").contains("more than the 218")
                .contains("rename the file");
        for (Cli.Result r : java.util.List.of(escape, slash, upper, tooLong)) {
            assertThat(r.stderr()).doesNotContain("Exception").doesNotContain("\tat ");
        }
    }
}
