package dev.batchinference.format.csv;

import dev.batchinference.format.ByteBlock;
import dev.batchinference.format.ColumnMapping;
import dev.batchinference.format.FeatureValues;
import dev.batchinference.format.RowBlocks;
import dev.batchinference.format.RowReader;
import dev.batchinference.format.UnreadableRecordException;
import java.io.IOException;
import java.io.InputStream;
import java.io.StringReader;
import java.nio.FloatBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;

/**
 * Rows of a CSV chunk (records without the header). The common case, a record without quotes, is split
 * on the delimiter in place, eight bytes at a time, and its feature fields parsed straight from the
 * bytes: no String, no object per field. A record with a quote anywhere goes to commons-csv whole, so
 * quoting follows RFC 4180 exactly. Splitting bytes is safe in UTF-8: the delimiter, quote and newline
 * are ASCII and never occur inside a multi-byte character.
 */
public final class CsvRowReader implements RowReader {
    private final InputStream in;
    private final byte delimiter;
    private final ColumnMapping mapping;
    private final long delimiterPattern;
    private final CSVFormat quotedFormat;
    private final int columns;
    private byte[] buffer = new byte[256 * 1024];
    private int position;
    private int limit;
    private boolean endOfInput;
    private int[] fieldStart = new int[64];
    private int[] fieldEnd = new int[64];
    private int fieldCount;
    private int lastFieldStart;
    private List<String> quotedValues;
    private boolean quoted;
    private long rowsRead;

    public CsvRowReader(InputStream in, char delimiter, ColumnMapping mapping) {
        this(in, delimiter, mapping, quotedFormat(delimiter));
    }

    private CsvRowReader(InputStream in, char delimiter, ColumnMapping mapping, CSVFormat quotedFormat) {
        this.in = in;
        this.delimiter = (byte) delimiter;
        this.delimiterPattern = CsvBytes.repeated((byte) delimiter);
        this.mapping = mapping;
        this.columns = mapping.header().size();
        this.quotedFormat = quotedFormat;
    }

    /** The rows of one block of whole records, read in place. */
    static CsvRowReader ofBlock(ByteBlock block, char delimiter, ColumnMapping mapping, CSVFormat quotedFormat) {
        CsvRowReader reader = new CsvRowReader(InputStream.nullInputStream(), delimiter, mapping, quotedFormat);
        reader.buffer = block.bytes();
        reader.limit = block.length();
        reader.endOfInput = true;
        return reader;
    }

    static CSVFormat quotedFormat(char delimiter) {
        if (delimiter > 127) {
            throw new IllegalArgumentException("the delimiter must be an ASCII character: " + delimiter);
        }
        return CSVFormat.DEFAULT.builder().setDelimiter(delimiter).get();
    }

    /** The rows as blocks for parallel decoding; only before the first {@link #next}. */
    @Override
    public Optional<RowBlocks> blocks() {
        return Optional.of(blocks(CsvBlocks.BLOCK_BYTES));
    }

    RowBlocks blocks(int blockBytes) {
        if (rowsRead > 0 || limit > 0) {
            throw new IllegalStateException("the rows are being read one by one already");
        }
        return new CsvBlocks(in, (char) delimiter, mapping, quotedFormat, blockBytes);
    }

    @Override
    public boolean next() throws IOException {
        while (true) {
            int end = scanRecord();
            if (end < 0) {
                return false;
            }
            int start = position; // the record starts here, wherever refilling moved it in the buffer
            int next = end < limit ? end + 1 : end;      // past the '\n' when there is one
            int stop = end > start && buffer[end - 1] == '\r' ? end - 1 : end;
            position = next;
            if (stop == start) {
                continue; // an empty line is not a record
            }
            rowsRead++;
            if (quoted) {
                readQuoted(start, stop);
            } else {
                quotedValues = null;
                addField(lastFieldStart, stop);
            }
            return true;
        }
    }

    /**
     * Index of the '\n' ending the record at {@code position} (or the end of input); -1 if none. One pass:
     * while the record has no quote, the delimiters it passes are the field boundaries (all but the last
     * field's end); from the first quote on, only the record's end is looked for.
     */
    private int scanRecord() throws IOException {
        quoted = false;
        fieldCount = 0;
        lastFieldStart = position;
        int i = position;
        while (true) {
            byte[] bytes = buffer;
            int end = limit;
            // eight bytes at a time: where the delimiters are, and whether a line break or quote is among them
            for (; i + Long.BYTES <= end; i += Long.BYTES) {
                long word = CsvBytes.word(bytes, i);
                long delimiters = CsvBytes.bytesEqual(word, delimiterPattern);
                long stops = CsvBytes.bytesEqual(word, CsvBytes.NEWLINES) | CsvBytes.bytesEqual(word, CsvBytes.QUOTES);
                if (stops != 0) {
                    addFields(i, delimiters & ((stops & -stops) - 1)); // the delimiters before the first stop
                    int at = CsvBytes.firstMarked(i, stops);
                    if (bytes[at] == '\n') {
                        return at;
                    }
                    quoted = true;
                    return quotedRecordEnd(at);
                }
                addFields(i, delimiters);
            }
            for (; i < end; i++) {
                byte b = bytes[i];
                if (b == delimiter) {
                    addField(lastFieldStart, i);
                    lastFieldStart = i + 1;
                } else if (b == '\n') {
                    return i;
                } else if (b == '"') {
                    quoted = true;
                    return quotedRecordEnd(i);
                }
            }
            if (endOfInput) {
                return i > position ? i : -1;
            }
            int consumed = fillKeepingRecord();
            i -= consumed;
            lastFieldStart -= consumed;
        }
    }

    /** Adds a field ending at each delimiter marked in {@code marks} (0x80 in the byte's place) from {@code at}. */
    private void addFields(int at, long marks) {
        while (marks != 0) {
            int delimiterAt = CsvBytes.firstMarked(at, marks);
            addField(lastFieldStart, delimiterAt);
            lastFieldStart = delimiterAt + 1;
            marks &= marks - 1;
        }
    }

    /** Like {@link #scanRecord} from the record's first quote at {@code from}, tracking quotes. */
    private int quotedRecordEnd(int from) throws IOException {
        boolean inQuotes = false;
        int i = from;
        while (true) {
            while (i < limit) {
                byte b = buffer[i];
                if (b == '"') {
                    inQuotes = !inQuotes;
                } else if (b == '\n' && !inQuotes) {
                    return i;
                }
                i++;
            }
            if (endOfInput) {
                return i;
            }
            i -= fillKeepingRecord();
        }
    }

    /** Refills, keeping the current record; returns how far its bytes (and the fields found so far) moved back. */
    private int fillKeepingRecord() throws IOException {
        int consumed = position;
        fill();
        for (int f = 0; f < fieldCount; f++) {
            fieldStart[f] -= consumed;
            fieldEnd[f] -= consumed;
        }
        return consumed;
    }

    /** Moves the unread bytes to the front, growing the buffer when one record fills it, and reads more. */
    private void fill() throws IOException {
        int unread = limit - position;
        if (position == 0 && unread == buffer.length) {
            buffer = java.util.Arrays.copyOf(buffer, buffer.length * 2);
        } else {
            System.arraycopy(buffer, position, buffer, 0, unread);
        }
        position = 0;
        limit = unread;
        int n = in.read(buffer, limit, buffer.length - limit);
        if (n < 0) {
            endOfInput = true;
        } else {
            limit += n;
        }
    }

    private void addField(int from, int to) {
        if (fieldCount == fieldStart.length) {
            fieldStart = java.util.Arrays.copyOf(fieldStart, fieldCount * 2);
            fieldEnd = java.util.Arrays.copyOf(fieldEnd, fieldCount * 2);
        }
        fieldStart[fieldCount] = from;
        fieldEnd[fieldCount++] = to;
    }

    private void readQuoted(int start, int stop) throws IOException {
        String text = new String(buffer, start, stop - start, StandardCharsets.UTF_8);
        try (CSVParser parser = CSVParser.parse(new StringReader(text), quotedFormat)) {
            List<CSVRecord> records = parser.getRecords();
            quotedValues = records.isEmpty() ? List.of("") : records.get(0).toList();
        } catch (IOException | java.io.UncheckedIOException | IllegalStateException e) {
            // commons-csv reports malformed quoting this way; retrying the chunk cannot fix the file
            throw new UnreadableRecordException(rowsRead,
                    e.getCause() != null ? e.getCause().getMessage() : e.getMessage());
        }
        fieldCount = quotedValues.size();
    }

    @Override
    public Rejection readFeatures(FloatBuffer tensor, int offset) {
        if (fieldCount != columns) {
            return new Rejection("", "expected " + columns + " columns, found " + fieldCount);
        }
        int[] featureColumns = mapping.featureColumns();
        for (int f = 0; f < featureColumns.length; f++) {
            int c = featureColumns[f];
            float value = quotedValues != null ? FeatureValues.parseFinite(quotedValues.get(c)) : parse(c);
            if (Float.isNaN(value)) {
                return new Rejection(mapping.header().get(c), FeatureValues.problemWith(text(c)));
            }
            tensor.put(offset + f, value);
        }
        return null;
    }

    /** The field as a finite float, or NaN; the same rules as {@link FeatureValues#parseFinite}. */
    private float parse(int column) {
        return FeatureValues.parseFinite(buffer, fieldStart[column], fieldEnd[column]);
    }

    private String text(int column) {
        return quotedValues != null ? quotedValues.get(column)
                : new String(buffer, fieldStart[column], fieldEnd[column] - fieldStart[column], StandardCharsets.UTF_8);
    }

    @Override
    public void readPassThrough(Object[] into) {
        int[] passThroughColumns = mapping.passThroughColumns();
        for (int p = 0; p < passThroughColumns.length; p++) {
            into[p] = text(passThroughColumns[p]);
        }
    }

    @Override
    public void close() throws IOException {
        in.close();
    }
}
