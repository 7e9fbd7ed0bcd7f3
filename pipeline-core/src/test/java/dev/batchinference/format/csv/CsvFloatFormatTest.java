package dev.batchinference.format.csv;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.io.NumberOutput;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The probabilities' text is Float.toString's (Java 19+), as jackson-core writes it. Checked here on a
 * sample; once by hand on every float in [1e-7, 1), 197 million of them, with no difference.
 */
class CsvFloatFormatTest {

    private static String written(float value) {
        byte[] out = new byte[40];
        out[0] = 'x';
        int end = CsvFloatFormat.write(value, out, 1);
        return end < 0 ? null : new String(out, 1, end - 1, StandardCharsets.US_ASCII);
    }

    @Test
    void everyHandledFloatIsWrittenAsJacksonsShortestRoundTripText() {
        SplittableRandom random = new SplittableRandom(19);
        int low = Float.floatToRawIntBits(5e-8f);
        int high = Float.floatToRawIntBits(1.5f);
        int handled = 0;
        for (int i = 0; i < 1_000_000; i++) {
            float value = Float.intBitsToFloat(random.nextInt(low, high));
            String text = written(value);
            if (text != null) {
                handled++;
                assertThat(text).as("bits %d", Float.floatToRawIntBits(value)).isEqualTo(NumberOutput.toString(value, true));
                assertThat(Float.parseFloat(text)).isEqualTo(value);
            }
        }
        assertThat(handled).as("floats in [1e-7, 1) are most of the sample").isGreaterThan(900_000);
    }

    @Test
    void edgesAreWrittenOrLeftToTheCaller() {
        for (float value : new float[] {0f, 1f, 0.001f, Math.nextUp(0.001f), 0.01f, Math.nextDown(0.01f), 0.1f,
                Math.nextDown(0.1f), 0.3f, 0.5f + Math.ulp(0.5f), Math.nextDown(1f), 0.9999999f, 1.0E-3f, 0.0099999998f,
                Math.nextDown(0.001f), 6.203769E-7f, 1.0E-4f, 1.2E-5f, 3.3333333E-6f, 1.0E-7f, Math.nextUp(1e-7f)}) {
            assertThat(written(value)).as("%s", value).isEqualTo(NumberOutput.toString(value, true));
        }
        for (float value : new float[] {0.5f, 0.25f, 5e-8f, 6.203769E-8f, 1.4E-45f, 1.5f, -0.25f, -0f, Float.NaN,
                Float.POSITIVE_INFINITY}) {
            assertThat(written(value)).as("%s is left to jackson-core", value).isNull();
        }
    }

    @Test
    void theWriterGivesTheSameTextForHandledAndUnhandledValues() throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        float[] probabilities = {0.9847031f, 0.015296761f, 6.203769E-8f, 0.5f, 1f, 0f, 3e-9f};
        try (CsvPredictionWriter writer = new CsvPredictionWriter(bytes, List.of("a", "b", "c", "d", "e", "f", "g"))) {
            writer.write(new Object[] {"id-1"}, "a", probabilities, 0);
        }

        assertThat(bytes.toString(StandardCharsets.UTF_8))
                .isEqualTo("id-1,a,0.9847031,0.015296761,6.203769E-8,0.5,1.0,0.0,3.0E-9\n");
    }
}
