package dev.batchinference.format.csv;

/**
 * Probabilities as CSV text without a String: the same characters as {@code Float.toString} since Java
 * 19 (and jackson-core's Schubfach port, which Java 17 lacks), for the floats a classifier mostly gives,
 * those in [1e-7, 1) and exactly 0 and 1: plain below 1 and down to 0.001, {@code 6.203769E-8} style
 * below that. Others are left to the caller.
 *
 * <p>That text is the shortest decimal that reads back as the same float, the closest to it among
 * those, an even last digit on a tie. A float {@code M·2^E} times {@code 10^k} is {@code M·5^k / 2^s}
 * with {@code s = -(E+k)}, exact in a long for {@code k <= 11}, so for each count {@code k} of decimals
 * the nearest candidate, and whether it lies within half a unit in the last place of the float, are
 * integer arithmetic. The fewest decimals that work give the shortest text: if {@code k} works, so does
 * {@code k+1}, so the search halves the range each step.
 */
final class CsvFloatFormat {
    private static final int MAX_DECIMALS = 16; // 9 significant digits after 7 zeros; 2·2^24·5^16 < 2^63
    private static final long[] POWERS_OF_FIVE = new long[MAX_DECIMALS + 1];
    private static final long[] POWERS_OF_TEN = new long[19];
    private static final byte[] ZERO = {'0', '.', '0'};
    private static final byte[] ONE = {'1', '.', '0'};

    static {
        POWERS_OF_FIVE[0] = 1;
        for (int i = 1; i < POWERS_OF_FIVE.length; i++) {
            POWERS_OF_FIVE[i] = POWERS_OF_FIVE[i - 1] * 5;
        }
        POWERS_OF_TEN[0] = 1;
        for (int i = 1; i < POWERS_OF_TEN.length; i++) {
            POWERS_OF_TEN[i] = POWERS_OF_TEN[i - 1] * 10;
        }
    }

    private CsvFloatFormat() {
    }

    /** Appends the float's text to {@code out} from {@code at}; the new end, or -1 (nothing written) if not handled. */
    static int write(float value, byte[] out, int at) {
        int bits = Float.floatToRawIntBits(value);
        if (bits == 0) {
            return copy(ZERO, out, at);
        }
        if (value == 1f) {
            return copy(ONE, out, at);
        }
        int fraction = bits & 0x7FFFFF;
        // NaN, negative, outside [1e-7, 1), or a power of two (whose lower neighbour is closer than its upper)
        if (!(value >= 1e-7f && value < 1f) || fraction == 0) {
            return -1;
        }
        long mantissa = fraction | 0x800000;
        int exponent = ((bits >>> 23) & 0xFF) - 127 - 23;
        int low = 1;
        int high = MAX_DECIMALS;
        if (!within(mantissa, exponent, high)) {
            return -1;
        }
        while (low < high) {
            int mid = (low + high) >>> 1;
            if (within(mantissa, exponent, mid)) {
                high = mid;
            } else {
                low = mid + 1;
            }
        }
        long digits = nearest(mantissa, exponent, low);
        return value >= 0.001f ? plain(digits, low, out, at) : scientific(digits, low, out, at);
    }

    /** The integer nearest to value·10^decimals (an even one on a tie). */
    private static long nearest(long mantissa, int exponent, int decimals) {
        int shift = -(exponent + decimals);
        long scaled = mantissa * POWERS_OF_FIVE[decimals];
        long floor = scaled >>> shift;
        long remainder = scaled & ((1L << shift) - 1);
        long half = 1L << (shift - 1);
        return remainder > half || (remainder == half && (floor & 1) == 1) ? floor + 1 : floor;
    }

    /** Whether the nearest decimal with this many decimals reads back as the float (round half to even). */
    private static boolean within(long mantissa, int exponent, int decimals) {
        int shift = -(exponent + decimals);
        long candidate = nearest(mantissa, exponent, decimals);
        // |candidate - value·10^k| <= ulp·10^k / 2, both sides times 2^(shift+1): the products may wrap,
        // their difference (at most 2^(shift+1), shift <= 32) does not
        long distance = Math.abs((candidate << (shift + 1)) - 2 * mantissa * POWERS_OF_FIVE[decimals]);
        long halfUlp = POWERS_OF_FIVE[decimals];
        return distance < halfUlp || (distance == halfUlp && (mantissa & 1) == 0);
    }

    /** "0." then the zeros and digits of {@code digits}·10^-decimals. */
    private static int plain(long digits, int decimals, byte[] out, int at) {
        int count = digitCount(digits);
        out[at++] = '0';
        out[at++] = '.';
        for (int z = count; z < decimals; z++) {
            out[at++] = '0';
        }
        return putDigits(digits, count, out, at);
    }

    /** {@code digits}·10^-decimals as d.ddd…E-x, with at least one digit after the point. */
    private static int scientific(long digits, int decimals, byte[] out, int at) {
        int count = digitCount(digits);
        long power = POWERS_OF_TEN[count - 1];
        out[at++] = (byte) ('0' + digits / power);
        out[at++] = '.';
        at = count == 1 ? put(out, at, (byte) '0') : putDigits(digits % power, count - 1, out, at);
        out[at++] = 'E';
        out[at++] = '-';
        int exponent = decimals - count + 1;
        return putDigits(exponent, digitCount(exponent), out, at);
    }

    /** The last {@code count} digits of {@code digits}, leading zeros included. */
    private static int putDigits(long digits, int count, byte[] out, int at) {
        int end = at + count;
        for (int i = end - 1; i >= at; i--) {
            out[i] = (byte) ('0' + digits % 10);
            digits /= 10;
        }
        return end;
    }

    private static int put(byte[] out, int at, byte b) {
        out[at] = b;
        return at + 1;
    }

    private static int digitCount(long value) {
        int count = 1;
        while (count < POWERS_OF_TEN.length && value >= POWERS_OF_TEN[count]) {
            count++;
        }
        return count;
    }

    private static int copy(byte[] text, byte[] out, int at) {
        System.arraycopy(text, 0, out, at, text.length);
        return at + text.length;
    }

    /** The most bytes {@link #write} appends. */
    static final int MAX_LENGTH = 2 + MAX_DECIMALS + 4;
}
