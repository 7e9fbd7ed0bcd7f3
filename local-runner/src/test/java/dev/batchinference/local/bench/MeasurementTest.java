package dev.batchinference.local.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class MeasurementTest {
    @Test
    void theMedianIsTheMiddleRunOrTheMeanOfTheTwoMiddleRuns() {
        assertThat(new Measurement("x", 1, "ms", List.of(9.0, 1.0, 5.0)).median()).isEqualTo(5.0);
        assertThat(new Measurement("x", 1, "ms", List.of(4.0, 1.0, 2.0, 100.0)).median()).isEqualTo(3.0);
        assertThat(new Measurement("x", 1, "ms", List.of(4.0, 1.0, 2.0, 100.0)).min()).isEqualTo(1.0);
        assertThat(new Measurement("x", 1, "ms", List.of(4.0, 1.0, 2.0, 100.0)).max()).isEqualTo(100.0);
    }

    @Test
    void numbersKeepADecimalOnlyWhenSmall() {
        assertThat(ResultTable.number(1_234_567.4)).isEqualTo("1,234,567");
        assertThat(ResultTable.number(32.64)).isEqualTo("32.6");
    }
}
