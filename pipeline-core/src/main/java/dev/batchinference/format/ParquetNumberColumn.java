package dev.batchinference.format;

import java.io.IOException;
import java.io.UncheckedIOException;
import org.apache.parquet.bytes.ByteBufferInputStream;
import org.apache.parquet.bytes.BytesUtils;
import org.apache.parquet.column.ColumnDescriptor;
import org.apache.parquet.column.Dictionary;
import org.apache.parquet.column.Encoding;
import org.apache.parquet.column.ValuesType;
import org.apache.parquet.column.page.DataPage;
import org.apache.parquet.column.page.DataPageV1;
import org.apache.parquet.column.page.DataPageV2;
import org.apache.parquet.column.page.DictionaryPage;
import org.apache.parquet.column.page.PageReader;
import org.apache.parquet.column.statistics.Statistics;
import org.apache.parquet.column.values.ValuesReader;
import org.apache.parquet.column.values.rle.RunLengthBitPackingHybridDecoder;
import org.apache.parquet.schema.LogicalTypeAnnotation;
import org.apache.parquet.schema.PrimitiveType;

/**
 * One top-level, non-repeated numeric column of a row group (int32, int64, float, double or boolean,
 * plain numbers), decoded a block of rows at a time into floats: the fast path for feature columns. It
 * drives parquet-column's own page decoders (levels, plain and dictionary values) as its
 * {@code ColumnReader} does, without that reader's per-value bookkeeping, and turns a dictionary into
 * floats once per column chunk instead of once per value.
 */
final class ParquetNumberColumn {
    private final ColumnDescriptor column;
    private final PageReader pages;
    private final int maxDefinition;
    /** false when the column chunk's statistics say it holds no null: its definition levels are skipped */
    private final boolean mayHaveNulls;
    private final Dictionary dictionary;
    private final float[] dictionaryFloats;

    private Levels definitions;
    private ValuesReader values;
    private ParquetDictionaryIds dictionaryIds;
    private boolean dictionaryEncoded;
    private int leftInPage;

    /** Reads a level a value at a time: V1 pages hold them in a ValuesReader, V2 pages in a bare decoder. */
    private interface Levels {
        int next() throws IOException;
    }

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
        this.column = column;
        this.pages = pages;
        this.maxDefinition = column.getMaxDefinitionLevel();
        this.mayHaveNulls = maxDefinition > 0
                && (statistics == null || !statistics.isNumNullsSet() || statistics.getNumNulls() != 0);
        DictionaryPage page = pages.readDictionaryPage();
        this.dictionary = page == null ? null : page.getEncoding().initDictionary(column, page);
        this.dictionaryFloats = dictionary == null ? null : floats(dictionary);
    }

    private float[] floats(Dictionary values) {
        float[] floats = new float[values.getMaxId() + 1];
        for (int id = 0; id < floats.length; id++) {
            floats[id] = switch (column.getPrimitiveType().getPrimitiveTypeName()) {
                case INT32 -> values.decodeToInt(id);
                case INT64 -> values.decodeToLong(id);
                case FLOAT -> values.decodeToFloat(id);
                case DOUBLE -> (float) values.decodeToDouble(id);
                case BOOLEAN -> values.decodeToBoolean(id) ? 1f : 0f;
                default -> throw new IllegalStateException("not a number column: " + column);
            };
        }
        return floats;
    }

    /**
     * The next {@code rows} values into {@code into[0..rows)}, NaN for a null (and {@code nulls} set);
     * infinities and NaNs of the data stay as they are. Never asked past the row group's end.
     */
    void read(float[] into, boolean[] nulls, int rows) {
        try {
            for (int done = 0; done < rows; ) {
                if (leftInPage == 0) {
                    nextPage();
                }
                int n = Math.min(rows - done, leftInPage);
                readFromPage(into, nulls, done, done + n);
                leftInPage -= n;
                done += n;
            }
        } catch (IOException e) {
            throw new UncheckedIOException("reading column " + column, e);
        }
    }

    private void readFromPage(float[] into, boolean[] nulls, int from, int to) throws IOException {
        if (!mayHaveNulls && dictionaryEncoded) {
            // the common case (every value there, dictionary pages) in a loop of its own
            java.util.Arrays.fill(nulls, from, to, false);
            dictionaryIds.fill(into, from, to);
            return;
        }
        for (int i = from; i < to; i++) {
            boolean isNull = mayHaveNulls && definitions.next() != maxDefinition;
            nulls[i] = isNull;
            into[i] = isNull ? Float.NaN : dictionaryEncoded ? dictionaryIds.next() : readValue();
        }
    }

    private float readValue() {
        return switch (column.getPrimitiveType().getPrimitiveTypeName()) {
            case INT32 -> values.readInteger();
            case INT64 -> values.readLong();
            case FLOAT -> values.readFloat();
            case DOUBLE -> (float) values.readDouble();
            case BOOLEAN -> values.readBoolean() ? 1f : 0f;
            default -> throw new IllegalStateException("not a number column: " + column);
        };
    }

    private void nextPage() throws IOException {
        DataPage page = pages.readPage();
        if (page == null) {
            throw new IOException("column " + column + " ended before its row group's last row");
        }
        leftInPage = page.getValueCount();
        page.accept(new DataPage.Visitor<Void>() {
            @Override
            public Void visit(DataPageV1 v1) {
                try {
                    ByteBufferInputStream in = v1.getBytes().toInputStream();
                    // a flat column has no repetition levels; the reader still steps over their (empty) encoding
                    v1.getRlEncoding().getValuesReader(column, ValuesType.REPETITION_LEVEL).initFromPage(leftInPage, in);
                    ValuesReader levels = v1.getDlEncoding().getValuesReader(column, ValuesType.DEFINITION_LEVEL);
                    levels.initFromPage(leftInPage, in);
                    definitions = levels::readInteger;
                    initValues(v1.getValueEncoding(), in);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
                return null;
            }

            @Override
            public Void visit(DataPageV2 v2) {
                try {
                    RunLengthBitPackingHybridDecoder levels = new RunLengthBitPackingHybridDecoder(
                            BytesUtils.getWidthFromMaxInt(maxDefinition), v2.getDefinitionLevels().toInputStream());
                    definitions = levels::readInt;
                    initValues(v2.getDataEncoding(), v2.getData().toInputStream());
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
                return null;
            }
        });
    }

    private void initValues(Encoding encoding, ByteBufferInputStream in) throws IOException {
        dictionaryEncoded = encoding.usesDictionary();
        if (dictionaryEncoded && dictionary == null) {
            throw new IOException("a page of column " + column + " uses a dictionary the column chunk does not have");
        }
        if (dictionaryEncoded) {
            dictionaryIds = new ParquetDictionaryIds(dictionaryFloats, in);
        } else {
            values = encoding.getValuesReader(column, ValuesType.VALUES);
            values.initFromPage(leftInPage, in);
        }
    }
}
