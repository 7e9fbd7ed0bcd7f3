package dev.batchinference.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import org.apache.commons.csv.CSVRecord;

/** Compares predictions with a reference: same header, rows in the same order, probabilities within float error. */
public final class PredictionAssertions {
    private PredictionAssertions() {
    }

    public static void assertSamePredictions(List<CSVRecord> actual, List<CSVRecord> expected) {
        assertThat(actual).as("row count including header").hasSize(expected.size());
        assertThat(actual.get(0).values()).as("header").containsExactly(expected.get(0).values());
        List<String> header = List.of(expected.get(0).values());
        for (int r = 1; r < expected.size(); r++) {
            CSVRecord a = actual.get(r);
            CSVRecord e = expected.get(r);
            assertThat(a.size()).as("columns in row %d", r).isEqualTo(e.size());
            for (int c = 0; c < e.size(); c++) {
                if (header.get(c).startsWith("prob_")) {
                    assertThat(Double.parseDouble(a.get(c))).as("row %d %s", r, header.get(c))
                            .isCloseTo(Double.parseDouble(e.get(c)), within(1e-6));
                } else {
                    assertThat(a.get(c)).as("row %d %s", r, header.get(c)).isEqualTo(e.get(c));
                }
            }
        }
    }
}
