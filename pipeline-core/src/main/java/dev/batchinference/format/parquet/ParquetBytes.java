package dev.batchinference.format.parquet;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import org.apache.parquet.io.api.Binary;

/**
 * A Parquet byte-array value passed through from input to output: written back as the same bytes, and
 * shown (in CSV output) as its text, or as a number for a decimal.
 *
 * @param decimalScale the scale of a decimal column, or -1 for any other byte array
 */
public record ParquetBytes(Binary bytes, int decimalScale) {
    @Override
    public String toString() {
        return decimalScale >= 0 ? new BigDecimal(new BigInteger(bytes.getBytes()), decimalScale).toString()
                : bytes.toStringUsingUTF8();
    }

    /*
     * The byte arrays this package hands to parquet-java's writers are all of one kind of Binary, a slice of
     * an array: parquet-java's per-value code (statistics, dictionaries, plain encoding) then sees a single
     * class at each call, which the JIT compiles once, instead of deoptimizing as ids (slices), dictionary
     * values (buffers) and labels (strings) come along.
     */

    /** {@code text} as UTF-8 bytes. */
    static Binary text(String text) {
        byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
        return Binary.fromConstantByteArray(utf8, 0, utf8.length);
    }

    /** The same bytes as {@code value}, as a slice of an array of their own. */
    static Binary slice(Binary value) {
        byte[] bytes = value.getBytes();
        return Binary.fromConstantByteArray(bytes, 0, bytes.length);
    }
}
