package dev.batchinference.format;

import ch.randelshofer.fastdoubleparser.JavaFloatParser;

/** Turns a CSV cell into a model input value, or says why it cannot be one. */
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
     * digits, an exponent, spaces, text) goes to fastdoubleparser, which is correctly rounded too.
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

    /** Every other shape: spaces trimmed, Java's suffixes, NaN and Infinity refused, then fastdoubleparser. */
    private static float parseGeneral(byte[] bytes, int from, int to) {
        while (from < to && bytes[from] == ' ') {
            from++;
        }
        while (to > from && bytes[to - 1] == ' ') {
            to--;
        }
        // empty, or ending in a letter: Java's 1.5f/2d suffixes, NaN and Infinity are not numbers here
        if (from == to || Character.isLetter(bytes[to - 1])) {
            return Float.NaN;
        }
        try {
            float value = JavaFloatParser.parseFloat(bytes, from, to - from);
            return Float.isInfinite(value) ? Float.NaN : value;
        } catch (NumberFormatException e) {
            return Float.NaN;
        }
    }

    /** The cell's value if it is a finite number; NaN otherwise (then {@link #problemWith} says why). */
    public static float parseFinite(String text) {
        String trimmed = text.trim();
        // Java also accepts type suffixes such as 1.5f or 2d, which no CSV writer means as numbers
        if (trimmed.isEmpty() || Character.isLetter(trimmed.charAt(trimmed.length() - 1))) {
            return Float.NaN;
        }
        try {
            float value = Float.parseFloat(trimmed);
            return Float.isInfinite(value) ? Float.NaN : value;
        } catch (NumberFormatException e) {
            return Float.NaN;
        }
    }

    /** Why a cell is not a finite number, describing the value's shape rather than its content. */
    public static String problemWith(String text) {
        String trimmed = text.trim();
        if (trimmed.isEmpty()) {
            return "empty value";
        }
        if (trimmed.equals("NaN") || trimmed.endsWith("Infinity")) {
            return "not a finite number (" + trimmed + ")";
        }
        try {
            if (Float.isInfinite(Float.parseFloat(trimmed))) {
                return "number out of float range";
            }
        } catch (NumberFormatException e) {
            // falls through to the general description
        }
        return "not a number (text of " + trimmed.length() + " character" + (trimmed.length() == 1 ? "" : "s") + ")";
    }
}
