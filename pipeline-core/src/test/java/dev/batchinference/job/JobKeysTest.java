package dev.batchinference.job;

import static org.assertj.core.api.Assertions.assertThat;

import dev.batchinference.format.OutputFormat;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The output keys (a contract): the input's whole name kept, so that no two inputs share an output. */
class JobKeysTest {

    @ParameterizedTest(name = "{0}")
    @CsvSource({
            "incoming/iris/iris.csv,            output/iris/iris.csv.predictions.csv",
            "incoming/iris/coll.tsv,            output/iris/coll.tsv.predictions.csv",
            "incoming/iris/case.CSV,            output/iris/case.CSV.predictions.csv",
            "incoming/iris/x.tsv.gz,            output/iris/x.tsv.gz.predictions.csv",
            "incoming/iris/a/b/x.csv.gz,        output/iris/a/b/x.csv.gz.predictions.csv",
            "incoming/iris/no-extension,        output/iris/no-extension.predictions.csv",
            "incoming/iris/.csv,                output/iris/.csv.predictions.csv",
    })
    void outputsKeepTheInputsWholeName(String input, String predictions) {
        assertThat(JobKeys.predictions(input)).isEqualTo(predictions);
        String base = predictions.substring(0, predictions.length() - ".predictions.csv".length());
        assertThat(JobKeys.predictions(input, OutputFormat.PARQUET)).isEqualTo(base + ".predictions.parquet");
        assertThat(JobKeys.summary(input)).isEqualTo(base + ".summary.json");
        assertThat(JobKeys.errors(input)).isEqualTo(base + ".errors.csv");
    }

    @Test
    void inputsThatDifferOnlyInTheirExtensionOrItsCaseKeepApartOutputs() {
        List<String> inputs = List.of("incoming/iris/coll.csv", "incoming/iris/coll.tsv", "incoming/iris/coll.CSV",
                "incoming/iris/coll.csv.gz", "incoming/iris/coll.tsv.gz", "incoming/iris/coll.parquet",
                "incoming/iris/coll", "incoming/iris/coll.csv.summary.json", "incoming/iris/coll.csv.predictions.csv");

        assertThat(ownersOfOutputKeys(inputs)).allSatisfy((key, owners) -> assertThat(owners).as(key).hasSize(1));
    }

    /**
     * Property: over random keys drawn from a small alphabet full of the characters outputs add ('.', '/', and
     * the letters of "predictions", "summary", "errors", "csv", "json", "parquet"), so that near-collisions are
     * common, no output key of one input is an output key of another, whichever kind each is: one input's
     * predictions against another's summary or errors included.
     */
    @Test
    void noOutputKeyOfOneInputIsAnOutputKeyOfAnother() {
        Random random = new Random(18);
        String alphabet = "./aceijmnopqrstuvy";
        List<String> inputs = new ArrayList<>();
        for (int i = 0; i < 20_000; i++) {
            StringBuilder rest = new StringBuilder();
            int length = 1 + random.nextInt(24);
            for (int c = 0; c < length; c++) {
                rest.append(alphabet.charAt(random.nextInt(alphabet.length())));
            }
            inputs.add("incoming/m/" + rest);
        }
        // and inputs built to look like another's outputs
        for (String suffix : JobKeys.OUTPUT_SUFFIXES) {
            for (String other : JobKeys.OUTPUT_SUFFIXES) {
                inputs.add("incoming/m/a" + suffix);
                inputs.add("incoming/m/a" + suffix + other);
                inputs.add("incoming/m/a" + other.substring(0, other.lastIndexOf('.')) + suffix);
            }
        }
        List<String> distinct = inputs.stream().distinct().toList();

        assertThat(ownersOfOutputKeys(distinct)).allSatisfy((key, owners) -> assertThat(owners).as(key).hasSize(1));
    }

    @Test
    void noOutputSuffixEndsAnother() {
        for (String a : JobKeys.OUTPUT_SUFFIXES) {
            for (String b : JobKeys.OUTPUT_SUFFIXES) {
                if (!a.equals(b)) {
                    assertThat(a).as("%s against %s", a, b).doesNotEndWith(b);
                }
            }
        }
    }

    @Test
    void keysWithEmptyDotOrDotDotSegmentsHaveAProblemThatNamesThem() {
        assertThat(JobKeys.inputKeyProblem("incoming/iris/../../output/iris/victim.csv")).get().asString()
                .contains("'incoming/iris/../../output/iris/victim.csv'").contains("'..'");
        assertThat(JobKeys.inputKeyProblem("incoming/iris/./x.csv")).get().asString().contains("'.'");
        assertThat(JobKeys.inputKeyProblem("incoming/iris//x.csv")).get().asString().contains("empty path segment");
        assertThat(JobKeys.inputKeyProblem("incoming/../x.csv")).isPresent();
        assertThat(JobKeys.inputKeyProblem("incoming/iris/x/..")).isPresent();

        assertThat(JobKeys.inputKeyProblem("incoming/iris/x.csv")).isEmpty();
        assertThat(JobKeys.inputKeyProblem("incoming/iris/..x/...csv")).as("dots inside names are names").isEmpty();
        assertThat(JobKeys.inputKeyProblem("incoming/iris/field trials/résultats 2026.csv")).isEmpty();
    }

    /** Each output key of the inputs (every kind, both prediction formats), with the inputs that would write it. */
    private static Map<String, List<String>> ownersOfOutputKeys(List<String> inputs) {
        Map<String, List<String>> owners = new HashMap<>();
        for (String input : inputs) {
            List<String> keys = List.of(JobKeys.predictions(input, OutputFormat.CSV),
                    JobKeys.predictions(input, OutputFormat.PARQUET), JobKeys.summary(input), JobKeys.errors(input));
            assertThat(keys).as("one input's own outputs differ").doesNotHaveDuplicates();
            for (String key : keys) {
                owners.computeIfAbsent(key, k -> new ArrayList<>()).add(input);
            }
        }
        return owners;
    }
}
