package dev.batchinference.format.csv;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Looking for CSV's few special bytes eight at a time: a word read from a byte array, and a mark (0x80)
 * in each of its bytes that equals a given byte. Byte {@code i} of the array is byte {@code i} of the
 * word counted from its low end, so the first match is {@code numberOfTrailingZeros(marks) >>> 3}.
 */
final class CsvBytes {
    static final long NEWLINES = repeated((byte) '\n');
    static final long QUOTES = repeated((byte) '"');
    static final long CARRIAGE_RETURNS = repeated((byte) '\r');
    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final long LOW_SEVEN_BITS = 0x7F7F7F7F7F7F7F7FL;
    private static final long HIGH_BITS = 0x8080808080808080L;

    private CsvBytes() {
    }

    /** Eight bytes from {@code at}, the first in the low end. */
    static long word(byte[] bytes, int at) {
        return (long) LONGS.get(bytes, at);
    }

    /** 0x80 in each byte of {@code word} equal to the byte repeated in {@code pattern}, 0 elsewhere; exact, no carries. */
    static long bytesEqual(long word, long pattern) {
        long x = word ^ pattern;
        long low = (x & LOW_SEVEN_BITS) + LOW_SEVEN_BITS;
        return ~(low | x | LOW_SEVEN_BITS);
    }

    /** The byte eight times over, for {@link #bytesEqual}. */
    static long repeated(byte b) {
        return (b & 0xFFL) * 0x0101010101010101L;
    }

    /** The index, from {@code at}, of the first byte marked in {@code marks}. */
    static int firstMarked(int at, long marks) {
        return at + (Long.numberOfTrailingZeros(marks) >>> 3);
    }

    /** Whether {@code bytes[from, to)} is valid UTF-8: ASCII is checked eight bytes at a time, the rest decoded. */
    static boolean isUtf8(byte[] bytes, int from, int to) {
        int i = from;
        for (; i + Long.BYTES <= to; i += Long.BYTES) {
            if ((word(bytes, i) & HIGH_BITS) != 0) {
                return decodes(bytes, from, to);
            }
        }
        for (; i < to; i++) {
            if (bytes[i] < 0) {
                return decodes(bytes, from, to);
            }
        }
        return true;
    }

    private static boolean decodes(byte[] bytes, int from, int to) {
        try {
            StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes, from, to - from));
            return true;
        } catch (CharacterCodingException e) {
            return false;
        }
    }

    /** Whether {@code bytes[0, length)} holds {@code wanted}. */
    static boolean contains(byte[] bytes, int length, byte wanted) {
        long pattern = repeated(wanted);
        int i = 0;
        for (; i + Long.BYTES <= length; i += Long.BYTES) {
            if (bytesEqual(word(bytes, i), pattern) != 0) {
                return true;
            }
        }
        for (; i < length; i++) {
            if (bytes[i] == wanted) {
                return true;
            }
        }
        return false;
    }
}
