package dev.batchinference.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import dev.batchinference.failure.FailureReason;
import dev.batchinference.format.ChunkLimits;
import dev.batchinference.ingest.JobIngestor;
import dev.batchinference.ingest.JobSweeper;
import dev.batchinference.job.JobKeys;
import dev.batchinference.job.JobState;
import dev.batchinference.job.JobSummary;
import dev.batchinference.json.JsonCodec;
import dev.batchinference.testing.InMemoryPipeline;
import dev.batchinference.testing.Samples;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Outputs are named after the input's whole key, so inputs whose names differ only in their extension, or in
 * its case, keep outputs of their own; and keys with '.', '..' or empty segments, which S3 keeps literally but
 * file systems read as other paths, end FAILED with INVALID_KEY without writing anywhere else.
 */
class OutputNamesTest {
    @TempDir
    Path dir;

    private InMemoryPipeline p;

    @BeforeEach
    void setUp() {
        p = new InMemoryPipeline(dir.resolve("cache"), new ChunkLimits(40, Long.MAX_VALUE));
        Samples.publish(p.models, "iris");
    }

    @Test
    void aCsvAndATsvOfTheSameStemKeepBothOutputs() throws IOException {
        String csv = p.put("incoming/iris/coll.csv", Files.readAllBytes(Samples.data("iris.csv")));
        String tsv = p.put("incoming/iris/coll.tsv", tsvOfFirstRows(10));

        p.runToEnd(csv);
        p.runToEnd(tsv);

        assertThat(summary(csv)).satisfies(s -> {
            assertThat(s.state()).isEqualTo(JobState.SUCCEEDED);
            assertThat(s.input().key()).isEqualTo(csv);
            assertThat(s.rowsOut()).isEqualTo(150);
            assertThat(s.output()).isEqualTo("output/iris/coll.csv.predictions.csv");
        });
        assertThat(summary(tsv)).satisfies(s -> {
            assertThat(s.state()).isEqualTo(JobState.SUCCEEDED);
            assertThat(s.input().key()).isEqualTo(tsv);
            assertThat(s.rowsOut()).isEqualTo(10);
            assertThat(s.output()).isEqualTo("output/iris/coll.tsv.predictions.csv");
        });
        // with their header rows
        assertThat(Samples.csv(p.predictionsOf(csv))).hasSize(151);
        assertThat(Samples.csv(p.predictionsOf(tsv))).hasSize(11);
        assertThat(p.store.list(JobKeys.OUTPUT)).containsExactlyInAnyOrder(
                "output/iris/coll.csv.predictions.csv", "output/iris/coll.csv.summary.json",
                "output/iris/coll.tsv.predictions.csv", "output/iris/coll.tsv.summary.json");
    }

    @Test
    void namesThatDifferOnlyInTheCaseOfTheirExtensionKeepBothOutputs() throws IOException {
        String lower = p.put("incoming/iris/case.csv", Files.readAllBytes(Samples.data("iris.csv")));
        String upper = p.put("incoming/iris/case.CSV", firstRows(10).getBytes(StandardCharsets.UTF_8));

        p.runToEnd(lower);
        p.runToEnd(upper);

        assertThat(summary(lower).rowsOut()).isEqualTo(150);
        assertThat(summary(upper).rowsOut()).isEqualTo(10);
        assertThat(Samples.csv(p.text("output/iris/case.csv.predictions.csv"))).hasSize(151);
        assertThat(Samples.csv(p.text("output/iris/case.CSV.predictions.csv"))).hasSize(11);
    }

    @Test
    void onceJobStateHasExpiredASweepFindsEachInputsOwnSummaryAndStartsNeitherAgain() throws IOException {
        String csv = p.put("incoming/iris/coll.csv", Files.readAllBytes(Samples.data("iris.csv")));
        String tsv = p.put("incoming/iris/coll.tsv", tsvOfFirstRows(10));
        p.runToEnd(csv);
        p.runToEnd(tsv);
        p.store.list(JobKeys.JOBS).forEach(p.store::delete);

        JobSweeper.SweepReport sweep = p.sweeper(Clock.systemUTC(), Duration.ofHours(6)).sweep();

        assertThat(sweep.inputs()).isEqualTo(2);
        assertThat(sweep.started()).isEmpty();
    }

    /**
     * After an upgrade from releases that named outputs without the input's extension: an input whose job
     * state has expired and whose summary is under its old name is not started again; one whose old-name
     * summary is another input's (coll.tsv's, under coll.summary.json) is.
     */
    @Test
    void aSweepAfterTheUpgradeFindsSummariesUnderTheirOldNamesForTheirOwnInputOnly() throws IOException {
        String csv = p.put("incoming/iris/old/iris.csv", Files.readAllBytes(Samples.data("iris.csv")));
        String tsv = p.put("incoming/iris/old/coll.tsv", tsvOfFirstRows(10));
        String other = p.put("incoming/iris/old/coll.csv", firstRows(5).getBytes(StandardCharsets.UTF_8));
        p.runToEnd(csv);
        p.runToEnd(tsv);
        // as the old release left them: summaries under the name less the extension, jobs/ expired
        p.store.write("output/iris/old/iris.summary.json", p.text(JobKeys.summary(csv)).getBytes(StandardCharsets.UTF_8));
        p.store.write("output/iris/old/coll.summary.json", p.text(JobKeys.summary(tsv)).getBytes(StandardCharsets.UTF_8));
        for (String key : p.store.list("")) {
            boolean oldSummary = key.equals("output/iris/old/iris.summary.json") || key.equals("output/iris/old/coll.summary.json");
            if (key.startsWith(JobKeys.JOBS) || key.startsWith(JobKeys.OUTPUT) && !oldSummary) {
                p.store.delete(key);
            }
        }

        JobSweeper.SweepReport sweep = p.sweeper(Clock.systemUTC(), Duration.ofHours(6)).sweep();

        assertThat(sweep.started()).extracting(JobIngestor.Outcome::key).containsExactly(other);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {
            "incoming/iris/../../output/iris/victim.csv",
            "incoming/iris/../../models/iris/current.csv",
            "incoming/iris/./x.csv",
            "incoming/iris/a//x.csv",
            "incoming/iris/a/../x.csv",
            "incoming/../iris/x.csv"})
    void aKeyWithADotDotDotOrEmptySegmentEndsFailedWithInvalidKeyAndWritesNowhereElse(String key) throws IOException {
        p.put("output/iris/victim.csv.predictions.csv", "the victim's predictions".getBytes(StandardCharsets.UTF_8));
        p.put("incoming/iris/x.csv", firstRows(3).getBytes(StandardCharsets.UTF_8));
        Map<String, String> before = everythingOutside(JobKeys.JOBS);
        p.put(key, firstRows(5).getBytes(StandardCharsets.UTF_8));

        JobIngestor.Outcome outcome = p.runToEnd(key);

        assertThat(outcome.status()).isEqualTo(JobIngestor.Outcome.Status.REJECTED);
        // S3 keeps the key as it is: the summary goes under output/ with the literal rest, as for any input
        JobSummary summary = summary(key);
        assertThat(summary.state()).isEqualTo(JobState.FAILED);
        assertThat(summary.reason()).isEqualTo(FailureReason.INVALID_KEY);
        assertThat(summary.message()).contains("'" + key + "'");
        Map<String, String> after = everythingOutside(JobKeys.JOBS);
        after.remove(key);
        after.remove(JobKeys.summary(key));
        assertThat(after).as("nothing else written or changed").isEqualTo(before);
    }

    private Map<String, String> everythingOutside(String prefix) {
        Map<String, String> objects = new TreeMap<>();
        for (String key : p.store.list("")) {
            if (!key.startsWith(prefix)) {
                objects.put(key, p.text(key));
            }
        }
        return objects;
    }

    private JobSummary summary(String inputKey) {
        return JsonCodec.read(p.text(JobKeys.summary(inputKey)), JobSummary.class);
    }

    private static String firstRows(int rows) throws IOException {
        List<String> lines = Files.readAllLines(Samples.data("iris.csv"));
        return String.join("\n", lines.subList(0, rows + 1)) + "\n";
    }

    private static byte[] tsvOfFirstRows(int rows) throws IOException {
        return firstRows(rows).replace(',', '\t').getBytes(StandardCharsets.UTF_8);
    }
}
