package dev.batchinference.format;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The feature parser reads decimal numbers only, each as exactly the float {@code Float.parseFloat} gives,
 * from bytes and from a String alike; every other numeral Java would take is refused.
 */
class FeatureValuesTest {

    private static float fromBytes(String text) {
        byte[] padded = ("xx" + text + "yy").getBytes(StandardCharsets.UTF_8);
        return FeatureValues.parseFinite(padded, 2, padded.length - 2);
    }

    private static void assertSameAsString(String text) {
        float expected = Float.parseFloat(text);
        assertThat(Float.floatToRawIntBits(FeatureValues.parseFinite(text))).as("'%s' as a String", text)
                .isEqualTo(Float.floatToRawIntBits(expected));
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
            if (text.toString().matches("[+-]?\\.?")) {
                assertThat(fromBytes(text.toString())).isNaN(); // no digits: not a number
            } else {
                assertSameAsString(text.toString());
            }
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
    void decimalNumbersWithExponentsAndSpacesAreRead() {
        for (String c : List.of("1e3", "1E-3", "-2.5e+2", "+.5", "5.", "1e-50", "0.5e0", "3.4028235e38", "-0")) {
            assertSameAsString(c);
        }
        assertThat(fromBytes(" 7 ")).isEqualTo(7f);
        assertThat(fromBytes("\t7.5\t")).isEqualTo(7.5f);
        assertThat(FeatureValues.parseFinite(" 1e3 ")).isEqualTo(1000f);
    }

    @Test
    void everyOtherNumeralIsRefusedFromBytesAndStringsAlike() {
        List<String> refused = List.of("", " ", ".", "-", "+", "--1", "+-1", "1.2.3", "1e", "1e+", "e5", ".e1", "1.5f",
                "2d", "NaN", "-NaN", "Infinity", "-Infinity", "+Infinity", "1e39", "-1e39", "0x1.8p1", "0X10", "0x1p3",
                "1_000", "1,5", "12abc", "١٢", "１２", "ünï", "1 000", "\u00a07", "7\n", "0b101", "1L");
        for (String c : refused) {
            assertThat(fromBytes(c)).as("'%s' from bytes", c).isNaN();
            assertThat(FeatureValues.parseFinite(c)).as("'%s' as a String", c).isNaN();
        }
    }

    @Test
    void problemsDescribeTheShapeNeverTheContent() {
        assertThat(FeatureValues.problemWith("  ")).isEqualTo("empty value");
        assertThat(FeatureValues.problemWith("NaN")).isEqualTo("not a finite number (NaN)");
        assertThat(FeatureValues.problemWith("-Infinity")).isEqualTo("not a finite number (Infinity)");
        assertThat(FeatureValues.problemWith("1e39")).isEqualTo("number out of float range");
        assertThat(FeatureValues.problemWith("0x1.8p1")).isEqualTo("not a decimal number (hexadecimal, 7 characters)");
        assertThat(FeatureValues.problemWith("secretInfinity")).isEqualTo("not a number (text of 14 characters)");
        assertThat(FeatureValues.problemWith("1_000")).isEqualTo("not a number (text of 5 characters)");
    }
}
