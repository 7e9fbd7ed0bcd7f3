package dev.batchinference.format;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The byte-level feature parser gives exactly the float the String path (Float.parseFloat) gives. */
class FeatureValuesTest {

    private static float fromBytes(String text) {
        byte[] padded = ("xx" + text + "yy").getBytes(StandardCharsets.UTF_8);
        return FeatureValues.parseFinite(padded, 2, padded.length - 2);
    }

    private static void assertSameAsString(String text) {
        float expected = FeatureValues.parseFinite(text);
        assertThat(Float.floatToRawIntBits(fromBytes(text)))
                .as("'%s' parsed from bytes (%s) and as a String (%s)", text, fromBytes(text), expected)
                .isEqualTo(Float.floatToRawIntBits(expected));
    }

    @Test
    void plainDecimalsOfEveryLengthMatchFloatParseFloatBitForBit() {
        SplittableRandom random = new SplittableRandom(8);
        for (int i = 0; i < 200_000; i++) {
            int intDigits = random.nextInt(0, 9);
            int decimals = random.nextInt(0, 13);
            StringBuilder text = new StringBuilder();
            int sign = random.nextInt(4);
            text.append(sign == 0 ? "-" : sign == 1 ? "+" : "");
            for (int d = 0; d < intDigits; d++) {
                text.append((char) ('0' + random.nextInt(10)));
            }
            if (decimals > 0 || random.nextBoolean()) {
                text.append('.');
            }
            for (int d = 0; d < decimals; d++) {
                text.append((char) ('0' + random.nextInt(10)));
            }
            assertSameAsString(text.toString());
        }
    }

    @Test
    void numbersNearTheFastPathsLimitsMatch() {
        List<String> cases = new ArrayList<>(List.of("16777215", "16777216", "16777217", "16777219", "-16777217",
                "1677721.7", "0.0000000001", "0.00000000001", "1.0000000001", "9999999.5", "0.1", "0.2", "0.3",
                "3.4028235", "0", "-0", "-0.0", "+0.000", "5.", ".5", "-.5", "007", "0000000000000000000000001.5"));
        for (String c : cases) {
            assertSameAsString(c);
        }
        assertThat(Float.floatToRawIntBits(fromBytes("-0.0"))).isEqualTo(Float.floatToRawIntBits(-0.0f));
        assertThat(fromBytes("0.1")).isEqualTo(0.1f);
    }

    @Test
    void otherShapesFollowTheStringRules() {
        for (String c : List.of("", " ", ".", "-", "+", "--1", "1.2.3", "1e3", "1E-3", "-2.5e+2", " 7 ", "7 ", "1.5f",
                "2d", "NaN", "Infinity", "-Infinity", "1e39", "-1e39", "1e-50", "0x1p3", "12abc", "1,5", "ünï")) {
            assertSameAsString(c);
        }
        assertThat(fromBytes(" 7 ")).isEqualTo(7f);
        assertThat(fromBytes("1e3")).isEqualTo(1000f);
        assertThat(fromBytes("1e39")).isNaN();
        assertThat(fromBytes("1.5f")).isNaN();
        assertThat(fromBytes("")).isNaN();
    }
}
