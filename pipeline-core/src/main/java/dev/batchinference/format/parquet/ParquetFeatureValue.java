package dev.batchinference.format.parquet;

import dev.batchinference.format.FeatureValues;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.Locale;
import java.util.function.Function;
import org.apache.parquet.column.ColumnReader;
import org.apache.parquet.schema.LogicalTypeAnnotation;
import org.apache.parquet.schema.LogicalTypeAnnotation.DecimalLogicalTypeAnnotation;
import org.apache.parquet.schema.LogicalTypeAnnotation.IntLogicalTypeAnnotation;
import org.apache.parquet.schema.PrimitiveType;

/**
 * How one Parquet column's values become a model input, by the column's physical and logical type: NaN where
 * a value is not a finite float, and why.
 */
abstract class ParquetFeatureValue {
    abstract float read(ColumnReader column);

    /** Why the current value gave NaN. */
    String problem(ColumnReader column) {
        return "not a finite float (" + kind() + ")";
    }

    abstract String kind();

    static ParquetFeatureValue of(PrimitiveType type) {
        LogicalTypeAnnotation logical = type.getLogicalTypeAnnotation();
        int scale = logical instanceof DecimalLogicalTypeAnnotation d ? d.getScale() : -1;
        boolean unsigned = logical instanceof IntLogicalTypeAnnotation i && !i.isSigned();
        return switch (type.getPrimitiveTypeName()) {
            case INT32 -> scale >= 0 ? decimal(c -> BigInteger.valueOf(c.getInteger()), scale)
                    : unsigned ? finite(c -> (float) Integer.toUnsignedLong(c.getInteger()), "integer")
                    : finite(c -> (float) c.getInteger(), "integer");
            case INT64 -> scale >= 0 ? decimal(c -> BigInteger.valueOf(c.getLong()), scale)
                    : unsigned ? finite(c -> new BigDecimal(Long.toUnsignedString(c.getLong())).floatValue(), "long")
                    : finite(c -> (float) c.getLong(), "long");
            case FLOAT -> finite(ColumnReader::getFloat, "float");
            case DOUBLE -> finite(c -> (float) c.getDouble(), "double");
            case BOOLEAN -> finite(c -> c.getBoolean() ? 1f : 0f, "boolean");
            case BINARY, FIXED_LEN_BYTE_ARRAY -> scale >= 0
                    ? decimal(c -> new BigInteger(c.getBinary().getBytesUnsafe()), scale)
                    : logical instanceof LogicalTypeAnnotation.StringLogicalTypeAnnotation
                            || logical instanceof LogicalTypeAnnotation.EnumLogicalTypeAnnotation
                            || logical instanceof LogicalTypeAnnotation.JsonLogicalTypeAnnotation ? new Text()
                    : notANumber(type);
            case INT96 -> notANumber(type);
        };
    }

    private interface Read {
        float read(ColumnReader column);
    }

    private static ParquetFeatureValue finite(Read read, String kind) {
        return new ParquetFeatureValue() {
            @Override
            float read(ColumnReader column) {
                float value = read.read(column);
                return Float.isInfinite(value) ? Float.NaN : value;
            }

            @Override
            String kind() {
                return kind;
            }
        };
    }

    private static ParquetFeatureValue decimal(Function<ColumnReader, BigInteger> unscaled, int scale) {
        return finite(c -> new BigDecimal(unscaled.apply(c), scale).floatValue(), "bigdecimal");
    }

    private static ParquetFeatureValue notANumber(PrimitiveType type) {
        return new ParquetFeatureValue() {
            @Override
            float read(ColumnReader column) {
                return Float.NaN;
            }

            @Override
            String problem(ColumnReader column) {
                return "not a number (" + kind() + ")";
            }

            @Override
            String kind() {
                return type.getPrimitiveTypeName().name().toLowerCase(Locale.ROOT);
            }
        };
    }

    /** Text columns: numbers written as text, parsed as a CSV cell would be. */
    private static final class Text extends ParquetFeatureValue {
        @Override
        float read(ColumnReader column) {
            return FeatureValues.parseFinite(column.getBinary().toStringUsingUTF8());
        }

        @Override
        String problem(ColumnReader column) {
            return FeatureValues.problemWith(column.getBinary().toStringUsingUTF8());
        }

        @Override
        String kind() {
            return "text";
        }
    }
}
