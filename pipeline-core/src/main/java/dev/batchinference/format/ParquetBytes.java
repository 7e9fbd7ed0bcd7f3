package dev.batchinference.format;

import java.math.BigDecimal;
import java.math.BigInteger;
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
}
