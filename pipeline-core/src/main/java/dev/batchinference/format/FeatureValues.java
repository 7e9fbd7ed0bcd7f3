package dev.batchinference.format;

import ch.randelshofer.fastdoubleparser.JavaFloatParser;

/**
 * Turns a CSV cell (or a Parquet text value) into a model input value, or says why it cannot be one. A
 * value is a finite decimal number that fits a float, with spaces or tabs around it allowed; see
 * {@link #parseGeneral} for the exact rule.
 */
public final class FeatureValues {
    /** Powers of ten that are exact floats (5^10 < 2^24). */
    private static final float[] EXACT_POWERS_OF_TEN = {1e0f, 1e1f, 1e2f, 1e3f, 1e4f, 1e5f, 1e6f, 1e7f, 1e8f, 1e9f, 1e10f};
    private static final long EXACT_FLOAT_INTEGERS = 1L << 24;

    private FeatureValues() {
    }

    /**
     * The same as {@link #parseFinite(String)} for the UTF-8 bytes {@code [from, to)}, without a String.
     *
     * <p>The common cell, a plain decimal such as {@code -12.75} with at most 7 significant digits and
     * 10 decimals, is computed here as one float division of two exactly representable floats, which IEEE
     * arithmetic rounds correctly: the same float {@code Float.parseFloat} gives. Anything else (more
     * digits, an exponent, spaces) is checked against the rule and goes to fastdoubleparser, which is
     * correctly rounded too.
     */
    public static float parseFinite(byte[] bytes, int from, int to) {
        int i = from;
        boolean negative = false;
        if (i < to && (bytes[i] == '-' || bytes[i] == '+')) {
            negative = bytes[i] == '-';
            i++;
        }
        long digits = 0;
        int decimals = -1; // -1 until the point
        int digitCount = 0;
        for (; i < to; i++) {
            int d = bytes[i] - '0';
            if (d >= 0 && d <= 9) {
                digits = digits * 10 + d;
                digitCount++;
                if (decimals >= 0) {
                    decimals++;
                }
                if (digits >= EXACT_FLOAT_INTEGERS) {
                    return parseGeneral(bytes, from, to);
                }
            } else if (bytes[i] == '.' && decimals < 0) {
                decimals = 0;
            } else {
                return parseGeneral(bytes, from, to);
            }
        }
        if (digitCount == 0 || decimals >= EXACT_POWERS_OF_TEN.length) {
            return parseGeneral(bytes, from, to);
        }
        float value = decimals <= 0 ? (float) digits : (float) digits / EXACT_POWERS_OF_TEN[decimals];
        return negative ? -value : value;
    }

    /**
     * Every other shape: spaces and tabs around it trimmed, then only a decimal number is read:
     * {@code [+-]? (digits [. digits?] | . digits) ([eE] [+-]? digits)?}, ASCII digits. Hexadecimal floats,
     * Java's {@code 1.5f}/{@code 2d} suffixes, {@code NaN}, {@code Infinity}, digit separators and other
     * scripts' digits are not numbers here, although Java's parsers take some of them.
     */
    private static float parseGeneral(byte[] bytes, int from, int to) {
        while (from < to && isBlank(bytes[from])) {
            from++;
        }
        while (to > from && isBlank(bytes[to - 1])) {
            to--;
        }
        if (!isDecimal(bytes, from, to)) {
            return Float.NaN;
        }
        float value = JavaFloatParser.parseFloat(bytes, from, to - from); // correctly rounded, like Float.parseFloat
        return Float.isInfinite(value) ? Float.NaN : value;
    }

    private static boolean isBlank(byte b) {
        return b == ' ' || b == '\t';
    }

    /** Whether {@code bytes[from, to)} is a decimal number by the rule of {@link #parseGeneral}. */
    private static boolean isDecimal(byte[] bytes, int from, int to) {
        int i = from;
        if (i < to && (bytes[i] == '+' || bytes[i] == '-')) {
            i++;
        }
        int digitsBefore = 0;
        while (i < to && isDigit(bytes[i])) {
            i++;
            digitsBefore++;
        }
        int digitsAfter = 0;
        if (i < to && bytes[i] == '.') {
            i++;
            while (i < to && isDigit(bytes[i])) {
                i++;
                digitsAfter++;
            }
        }
        if (digitsBefore + digitsAfter == 0) {
            return false;
        }
        if (i < to && (bytes[i] == 'e' || bytes[i] == 'E')) {
            i++;
            if (i < to && (bytes[i] == '+' || bytes[i] == '-')) {
                i++;
            }
            int exponentDigits = 0;
            while (i < to && isDigit(bytes[i])) {
                i++;
                exponentDigits++;
            }
            if (exponentDigits == 0) {
                return false;
            }
        }
        return i == to;
    }

    private static boolean isDigit(byte b) {
        return b >= '0' && b <= '9';
    }

    /** The cell's value if it is a finite decimal number; NaN otherwise (then {@link #problemWith} says why). */
    public static float parseFinite(String text) {
        byte[] bytes = new byte[text.length()];
        for (int i = 0; i < bytes.length; i++) {
            char c = text.charAt(i);
            if (c > 127) {
                return Float.NaN; // no number has a character beyond ASCII
            }
            bytes[i] = (byte) c;
        }
        return parseFinite(bytes, 0, bytes.length);
    }

    /** Why a cell is not a finite number, describing the value's shape rather than its content. */
    public static String problemWith(String text) {
        int from = 0;
        int to = text.length();
        while (from < to && (text.charAt(from) == ' ' || text.charAt(from) == '\t')) {
            from++;
        }
        while (to > from && (text.charAt(to - 1) == ' ' || text.charAt(to - 1) == '\t')) {
            to--;
        }
        String trimmed = text.substring(from, to);
        if (trimmed.isEmpty()) {
            return "empty value";
        }
        String unsigned = trimmed.startsWith("+") || trimmed.startsWith("-") ? trimmed.substring(1) : trimmed;
        if (unsigned.equals("NaN") || unsigned.equals("Infinity")) {
            return "not a finite number (" + (unsigned.equals("NaN") ? "NaN" : "Infinity") + ")";
        }
        byte[] ascii = trimmed.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        if (ascii.length == trimmed.length() && isDecimal(ascii, 0, ascii.length)) {
            return "number out of float range";
        }
        if (unsigned.startsWith("0x") || unsigned.startsWith("0X")) {
            return "not a decimal number (hexadecimal, " + trimmed.length() + " characters)";
        }
        return "not a number (text of " + trimmed.length() + " character" + (trimmed.length() == 1 ? "" : "s") + ")";
    }
}
