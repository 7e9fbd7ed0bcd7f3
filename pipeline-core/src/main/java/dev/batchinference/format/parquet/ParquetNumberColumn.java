package dev.batchinference.format.parquet;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Arrays;
import org.apache.parquet.column.ColumnDescriptor;
import org.apache.parquet.column.Dictionary;
import org.apache.parquet.column.page.PageReader;
import org.apache.parquet.column.statistics.Statistics;
import org.apache.parquet.column.values.ValuesReader;
import org.apache.parquet.schema.LogicalTypeAnnotation;
import org.apache.parquet.schema.PrimitiveType;

/**
 * One top-level, non-repeated numeric column of a row group (int32, int64, float, double or boolean,
 * plain numbers), decoded a block of rows at a time into floats: the fast path for feature columns. A
 * dictionary is turned into floats once per column chunk instead of once per value.
 */
final class ParquetNumberColumn {
    private final ParquetColumnPages pages;
    private final ColumnDescriptor column;
    private final float[] dictionaryFloats;
    /** every value of the dictionary is a finite float */
    private final boolean dictionaryFinite;
    private int[] ids = new int[0];

    /** Whether a column of this type takes the fast path: a plain number, no decimal or unsigned type. */
    static boolean handles(PrimitiveType type) {
        LogicalTypeAnnotation logical = type.getLogicalTypeAnnotation();
        return switch (type.getPrimitiveTypeName()) {
            case INT32, INT64 -> logical == null
                    || logical instanceof LogicalTypeAnnotation.IntLogicalTypeAnnotation i && i.isSigned();
            case FLOAT, DOUBLE, BOOLEAN -> logical == null;
            default -> false;
        };
    }

    /** @param statistics the column chunk's, from the footer (null or empty when unknown) */
    ParquetNumberColumn(ColumnDescriptor column, PageReader pages, Statistics<?> statistics) throws IOException {
        this.pages = new ParquetColumnPages(column, pages, statistics);
        this.column = column;
        Dictionary dictionary = this.pages.dictionary();
        this.dictionaryFloats = dictionary == null ? null : floats(dictionary);
        boolean finite = dictionaryFloats != null;
        for (int id = 0; finite && id < dictionaryFloats.length; id++) {
            finite = Float.isFinite(dictionaryFloats[id]);
        }
        this.dictionaryFinite = finite;
    }

    /** The dictionary's values as floats; a loop per type, as each column chunk takes only one of them. */
    private float[] floats(Dictionary values) {
        float[] floats = new float[values.getMaxId() + 1];
        switch (column.getPrimitiveType().getPrimitiveTypeName()) {
            case INT32 -> {
                for (int id = 0; id < floats.length; id++) {
                    floats[id] = values.decodeToInt(id);
                }
            }
            case INT64 -> {
                for (int id = 0; id < floats.length; id++) {
                    floats[id] = values.decodeToLong(id);
                }
            }
            case FLOAT -> {
                for (int id = 0; id < floats.length; id++) {
                    floats[id] = values.decodeToFloat(id);
                }
            }
            case DOUBLE -> {
                for (int id = 0; id < floats.length; id++) {
                    floats[id] = (float) values.decodeToDouble(id);
                }
            }
            case BOOLEAN -> {
                for (int id = 0; id < floats.length; id++) {
                    floats[id] = values.decodeToBoolean(id) ? 1f : 0f;
                }
            }
            default -> throw new IllegalStateException("not a number column: " + column);
        }
        return floats;
    }

    /**
     * The next {@code rows} values into {@code into} from {@code start}, {@code stride} apart (a column of a
     * row-major block), NaN for a null (and {@code nulls[row]} set); infinities and NaNs of the data stay as
     * they are. Never asked past the row group's end.
     *
     * @return false when every value read is known to be a finite float (no null, and dictionary pages of a
     *     dictionary of finite values only), so the caller need not look
     */
    boolean read(float[] into, int start, int stride, boolean[] nulls, int rows) {
        try {
            boolean mayBeNonFinite = false;
            for (int done = 0; done < rows; ) {
                int n = Math.min(rows - done, pages.available());
                mayBeNonFinite |= readFromPage(into, start, stride, nulls, done, done + n);
                pages.took(n);
                done += n;
            }
            return mayBeNonFinite;
        } catch (IOException e) {
            throw new UncheckedIOException("reading column " + column, e);
        }
    }

    /** Reads values from the current page; false when they are all known to be finite. */
    private boolean readFromPage(float[] into, int start, int stride, boolean[] nulls, int from, int to)
            throws IOException {
        ParquetDictionaryIds dictionaryIds = pages.ids();
        ValuesReader values = dictionaryIds == null ? pages.values() : null;
        if (!pages.mayHaveNulls() && dictionaryIds != null) {
            // the common case (every value there, dictionary pages) in a loop of its own
            Arrays.fill(nulls, from, to, false);
            if (ids.length < to) {
                ids = new int[to];
            }
            dictionaryIds.read(ids, from, to);
            for (int i = from, at = start + from * stride; i < to; i++, at += stride) {
                into[at] = dictionaryFloats[ids[i]];
            }
            return !dictionaryFinite;
        }
        for (int i = from, at = start + from * stride; i < to; i++, at += stride) {
            boolean isNull = pages.nextIsNull();
            nulls[i] = isNull;
            into[at] = isNull ? Float.NaN : dictionaryIds != null ? dictionaryFloats[dictionaryIds.next()] : readValue(values);
        }
        return true;
    }

    private float readValue(ValuesReader values) {
        return switch (column.getPrimitiveType().getPrimitiveTypeName()) {
            case INT32 -> values.readInteger();
            case INT64 -> values.readLong();
            case FLOAT -> values.readFloat();
            case DOUBLE -> (float) values.readDouble();
            case BOOLEAN -> values.readBoolean() ? 1f : 0f;
            default -> throw new IllegalStateException("not a number column: " + column);
        };
    }
}
