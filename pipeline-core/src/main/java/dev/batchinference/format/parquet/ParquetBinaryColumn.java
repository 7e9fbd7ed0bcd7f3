package dev.batchinference.format.parquet;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import org.apache.parquet.bytes.BytesUtils;
import org.apache.parquet.column.ColumnDescriptor;
import org.apache.parquet.column.Dictionary;
import org.apache.parquet.column.Encoding;
import org.apache.parquet.column.page.PageReader;
import org.apache.parquet.column.statistics.Statistics;
import org.apache.parquet.io.api.Binary;
import org.apache.parquet.schema.LogicalTypeAnnotation.DecimalLogicalTypeAnnotation;
import org.apache.parquet.schema.PrimitiveType;

/**
 * One top-level, non-repeated byte-array column of a row group, decoded a block of rows at a time into
 * pass-through values ({@link ParquetBytes}, null for a null): the fast path for text columns passed
 * through, such as ids. Each dictionary value becomes one object, shared by every row that holds it; a
 * plain value is a slice of its page's bytes, not a copy.
 */
final class ParquetBinaryColumn {
    private final ParquetColumnPages pages;
    private final int decimalScale;
    private final ParquetBytes[] dictionaryValues;
    private int[] ids = new int[0];

    /** the current plain page's values, {@code plain[position..plainEnd)} */
    private byte[] plain;
    private int plainEnd;
    private int position;
    private Object plainPage;

    static boolean handles(PrimitiveType type) {
        return type.getPrimitiveTypeName() == PrimitiveType.PrimitiveTypeName.BINARY;
    }

    /** @param statistics the column chunk's, from the footer (null or empty when unknown) */
    ParquetBinaryColumn(ColumnDescriptor column, PageReader pages, Statistics<?> statistics) throws IOException {
        this.pages = new ParquetColumnPages(column, pages, statistics);
        this.decimalScale = column.getPrimitiveType().getLogicalTypeAnnotation() instanceof DecimalLogicalTypeAnnotation d
                ? d.getScale() : -1;
        Dictionary dictionary = this.pages.dictionary();
        this.dictionaryValues = dictionary == null ? null : new ParquetBytes[dictionary.getMaxId() + 1];
        for (int id = 0; dictionary != null && id < dictionaryValues.length; id++) {
            dictionaryValues[id] = new ParquetBytes(ParquetBytes.slice(dictionary.decodeToBinary(id)), decimalScale);
        }
    }

    /** The next {@code rows} values into {@code into[0..rows)}. Never asked past the row group's end. */
    void read(Object[] into, int rows) {
        try {
            for (int done = 0; done < rows; ) {
                int n = Math.min(rows - done, pages.available());
                readFromPage(into, done, done + n);
                pages.took(n);
                done += n;
            }
        } catch (IOException e) {
            throw new UncheckedIOException("reading column " + pages.column(), e);
        }
    }

    private void readFromPage(Object[] into, int from, int to) throws IOException {
        ParquetDictionaryIds dictionaryIds = pages.ids();
        if (dictionaryIds != null && !pages.mayHaveNulls()) {
            if (ids.length < to) {
                ids = new int[to];
            }
            dictionaryIds.read(ids, from, to);
            for (int i = from; i < to; i++) {
                into[i] = dictionaryValues[ids[i]];
            }
            return;
        }
        for (int i = from; i < to; i++) {
            into[i] = pages.nextIsNull() ? null
                    : dictionaryIds != null ? dictionaryValues[dictionaryIds.next()]
                    : new ParquetBytes(nextValue(), decimalScale);
        }
    }

    /** The next value of a page that is not dictionary-encoded. */
    private Binary nextValue() throws IOException {
        if (pages.encoding() != Encoding.PLAIN) {
            return pages.values().readBytes();
        }
        if (plainPage != pages.valueBytes()) {
            plainPage = pages.valueBytes();
            ByteBuffer values = ParquetColumnPages.rest(pages.valueBytes());
            plain = values.array();
            position = values.arrayOffset() + values.position();
            plainEnd = position + values.remaining();
        }
        // PLAIN: each value is its length (4 bytes, little-endian), then its bytes
        if (plainEnd - position < 4) {
            throw new IOException("a page of column " + pages.column() + " ends inside a value");
        }
        int length = BytesUtils.readIntLittleEndian(plain, position);
        position += 4;
        if (length < 0 || length > plainEnd - position) {
            throw new IOException("a page of column " + pages.column() + " ends inside a value");
        }
        Binary value = Binary.fromConstantByteArray(plain, position, length);
        position += length;
        return value;
    }
}
