package dev.batchinference.format.parquet;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
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

/**
 * The data pages of one top-level, non-repeated column chunk, one after the other: for each, its
 * definition levels, and its values as dictionary ids ({@link ParquetDictionaryIds}) or through
 * parquet-column's decoder for the page's encoding. What the values become is up to the caller
 * ({@link ParquetNumberColumn}, {@link ParquetBinaryColumn}); this class only walks the pages as
 * parquet-column's {@code ColumnReader} does, without its per-value bookkeeping.
 */
final class ParquetColumnPages {
    private final ColumnDescriptor column;
    private final PageReader pages;
    private final int maxDefinition;
    /** false when the column chunk's statistics say it holds no null: its definition levels are skipped */
    private final boolean mayHaveNulls;
    private final Dictionary dictionary;

    private Levels definitions;
    private Encoding encoding;
    private ByteBufferInputStream valueBytes;
    private ParquetDictionaryIds ids;
    private ValuesReader values;
    private int leftInPage;

    /** Reads a level a value at a time: V1 pages hold them in a ValuesReader, V2 pages in a bare decoder. */
    private interface Levels {
        int next() throws IOException;
    }

    /** @param statistics the column chunk's, from the footer (null or empty when unknown) */
    ParquetColumnPages(ColumnDescriptor column, PageReader pages, Statistics<?> statistics) throws IOException {
        this.column = column;
        this.pages = pages;
        this.maxDefinition = column.getMaxDefinitionLevel();
        this.mayHaveNulls = maxDefinition > 0
                && (statistics == null || !statistics.isNumNullsSet() || statistics.getNumNulls() != 0);
        DictionaryPage page = pages.readDictionaryPage();
        this.dictionary = page == null ? null : page.getEncoding().initDictionary(column, page);
    }

    ColumnDescriptor column() {
        return column;
    }

    /** The column chunk's dictionary, or null when it has none. */
    Dictionary dictionary() {
        return dictionary;
    }

    boolean mayHaveNulls() {
        return mayHaveNulls;
    }

    /**
     * How many values are left in the current page, moving on to the next page if none is; a caller
     * that takes values says how many with {@link #took}. Never asked past the row group's end.
     */
    int available() {
        if (leftInPage == 0) {
            try {
                nextPage();
            } catch (IOException e) {
                throw new UncheckedIOException("reading column " + column, e);
            }
        }
        return leftInPage;
    }

    void took(int values) {
        leftInPage -= values;
    }

    /** Whether the next value is a null, from its definition level. */
    boolean nextIsNull() throws IOException {
        return mayHaveNulls && definitions.next() != maxDefinition;
    }

    /** The current page's values as dictionary ids, or null when they are not dictionary-encoded. */
    ParquetDictionaryIds ids() {
        return ids;
    }

    /** The current page's values when they are not dictionary-encoded, for a caller decoding them itself. */
    Encoding encoding() {
        return encoding;
    }

    ByteBufferInputStream valueBytes() {
        return valueBytes;
    }

    /**
     * What is left of {@code in}, as a buffer backed by an array: a view of the page where it is one
     * array already (the usual case), a copy otherwise.
     */
    static ByteBuffer rest(ByteBufferInputStream in) throws IOException {
        ByteBuffer rest = in.slice(in.available());
        if (rest.hasArray()) {
            return rest;
        }
        ByteBuffer copy = ByteBuffer.allocate(rest.remaining());
        copy.put(rest).flip();
        return copy;
    }

    /**
     * parquet-column's decoder of the current page's values, when they are not dictionary-encoded; made
     * on first use, and then it owns the value bytes.
     */
    ValuesReader values() throws IOException {
        if (values == null) {
            values = encoding.getValuesReader(column, ValuesType.VALUES);
            values.initFromPage(leftInPage, valueBytes);
        }
        return values;
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
        this.encoding = encoding;
        this.valueBytes = in;
        this.values = null;
        if (!encoding.usesDictionary()) {
            ids = null;
        } else if (dictionary == null) {
            throw new IOException("a page of column " + column + " uses a dictionary the column chunk does not have");
        } else {
            ids = new ParquetDictionaryIds(dictionary.getMaxId() + 1, in);
        }
    }
}
