package dev.batchinference.format.csv;

import dev.batchinference.format.ByteBlock;
import dev.batchinference.format.ColumnMapping;
import dev.batchinference.format.FeatureValues;
import dev.batchinference.format.RowBlocks;
import dev.batchinference.format.RowReader;
import dev.batchinference.format.UnreadableRecordException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.FloatBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Rows of a CSV chunk (records without the header). Records end where {@link CsvRecordScanner} says, and
 * blank lines are skipped. The common case, a record without quotes, is split on the delimiter in place,
 * eight bytes at a time, and its feature fields parsed straight from the bytes: no String, no object per
 * field. A record with a quote anywhere is split by {@link CsvFields}, which also finds malformed quoting
 * (the row is then rejected). Splitting bytes is safe in UTF-8: the delimiter, quote and line breaks are
 * ASCII and never occur inside a multi-byte character.
 */
public final class CsvRowReader implements RowReader {
    private final InputStream in;
    private final byte delimiter;
    private final ColumnMapping mapping;
    private final long delimiterPattern;
    private final CsvRecordScanner scanner;
    private final int columns;
    private static final int BUFFER_BYTES = 256 * 1024;
    private byte[] buffer;
    /** How many bytes the input holds, where known: a chunk smaller than a block needs no more room than itself. */
    private long expectedBytes = Long.MAX_VALUE;
    private int position;
    private int limit;
    private boolean endOfInput;
    private int[] fieldStart = new int[64];
    private int[] fieldEnd = new int[64];
    private int fieldCount;
    private int lastFieldStart;
    private final List<String> quotedValues = new ArrayList<>();
    private boolean quoted;
    private CsvFields.Split split;
    private boolean quotedInvalidText;
    private long rowsRead;

    public CsvRowReader(InputStream in, char delimiter, ColumnMapping mapping) {
        this(in, delimiter, mapping, new byte[BUFFER_BYTES]);
    }

    /** As above, for an input of {@code expectedBytes} (a chunk's byte range): buffers no larger than needed. */
    public CsvRowReader(InputStream in, char delimiter, ColumnMapping mapping, long expectedBytes) {
        this(in, delimiter, mapping, new byte[(int) Math.min(BUFFER_BYTES, Math.max(1024, expectedBytes + 1))]);
        this.expectedBytes = expectedBytes;
    }

    private CsvRowReader(InputStream in, char delimiter, ColumnMapping mapping, byte[] buffer) {
        this.buffer = buffer;
        this.scanner = new CsvRecordScanner(delimiter); // refuses a delimiter that is not plain ASCII
        this.in = in;
        this.delimiter = (byte) delimiter;
        this.delimiterPattern = CsvBytes.repeated((byte) delimiter);
        this.mapping = mapping;
        this.columns = mapping.header().size();
    }

    /** The rows of one block of whole records, read in place. */
    static CsvRowReader ofBlock(ByteBlock block, char delimiter, ColumnMapping mapping) {
        CsvRowReader reader = new CsvRowReader(InputStream.nullInputStream(), delimiter, mapping, block.bytes());
        reader.limit = block.length();
        reader.endOfInput = true;
        return reader;
    }

    /** The rows as blocks for parallel decoding; only before the first {@link #next}. */
    @Override
    public Optional<RowBlocks> blocks() {
        // a chunk of many small tasks is smaller than a block: a block of its size saves allocating and zeroing the rest
        // (an input of unknown size, a whole local file, has expectedBytes MAX_VALUE: compared before adding, no overflow)
        return Optional.of(blocks(expectedBytes >= CsvBlocks.BLOCK_BYTES ? CsvBlocks.BLOCK_BYTES
                : (int) Math.max(1024, expectedBytes + 1)));
    }

    RowBlocks blocks(int blockBytes) {
        if (rowsRead > 0 || limit > 0) {
            throw new IllegalStateException("the rows are being read one by one already");
        }
        return new CsvBlocks(in, (char) delimiter, mapping, blockBytes);
    }

    @Override
    public boolean next() throws IOException {
        while (true) {
            int end = scanRecord();
            if (end < 0) {
                return false;
            }
            int start = position; // the record starts here, wherever refilling moved it in the buffer
            position = end < limit ? end + 1 : end; // past the line break when there is one
            if (end < limit && buffer[end] == '\r' && position < limit && buffer[position] == '\n') {
                position++; // a CR LF: the blank line the LF would end is not a record anyway
            }
            if (end == start) {
                continue; // a blank line is not a record
            }
            rowsRead++;
            if (quoted) {
                readQuoted(start, end);
            } else {
                split = null;
                addField(lastFieldStart, end);
            }
            return true;
        }
    }

    /**
     * Index of the line break ending the record at {@code position} (or the end of input); -1 if none. One
     * pass: while the record has no quote, the delimiters it passes are the field boundaries (all but the last
     * field's end); from the first quote on, the record's end is the scanner's to find.
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
                long stops = CsvBytes.bytesEqual(word, CsvBytes.NEWLINES) | CsvBytes.bytesEqual(word, CsvBytes.QUOTES)
                        | CsvBytes.bytesEqual(word, CsvBytes.CARRIAGE_RETURNS);
                if (stops != 0) {
                    addFields(i, delimiters & ((stops & -stops) - 1)); // the delimiters before the first stop
                    int at = CsvBytes.firstMarked(i, stops);
                    if (bytes[at] != '"') {
                        return at;
                    }
                    quoted = true;
                    return quotedRecordEnd();
                }
                addFields(i, delimiters);
            }
            for (; i < end; i++) {
                byte b = bytes[i];
                if (b == delimiter) {
                    addField(lastFieldStart, i);
                    lastFieldStart = i + 1;
                } else if (b == '\n' || b == '\r') {
                    return i;
                } else if (b == '"') {
                    quoted = true;
                    return quotedRecordEnd();
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

    /** The end of the record at {@code position}, which holds a quote, by the scanner's rules. */
    private int quotedRecordEnd() throws IOException {
        scanner.reset();
        int i = position;
        while (true) {
            int end = scanner.nextRecordEnd(buffer, i, limit);
            if (end >= 0) {
                return end - 1;
            }
            if (endOfInput) {
                return limit; // the planner fails a job whose input ends inside quotes; the split says so too
            }
            int scanned = limit;
            i = scanned - fillKeepingRecord();
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

    private void readQuoted(int start, int stop) {
        quotedInvalidText = !CsvBytes.isUtf8(buffer, start, stop);
        quotedValues.clear();
        split = CsvFields.split(buffer, start, stop, delimiter, quotedValues);
        if (split.problem() == CsvFields.Problem.UNCLOSED_QUOTE) {
            // only where the input itself ends inside quotes, which planning refuses: retrying cannot help
            throw new UnreadableRecordException(rowsRead, split.problem().description);
        }
        fieldCount = quotedValues.size();
    }

    @Override
    public Rejection readFeatures(FloatBuffer tensor, int offset) {
        if (split != null && split.problem() != null) {
            int field = split.problemField();
            return new Rejection(field < columns ? mapping.header().get(field) : "", split.problem().description);
        }
        if (fieldCount != columns) {
            String spanning = split != null && split.lineBreaksInQuotes() > 0 ? " (a quoted field runs over "
                    + (split.lineBreaksInQuotes() + 1) + " lines)" : "";
            return new Rejection("", "expected " + columns + " columns, found " + fieldCount + spanning);
        }
        if (split != null ? quotedInvalidText : !passThroughIsUtf8()) {
            // decoding would put U+FFFD in place of the bytes: the output would not hold the input's values
            return new Rejection("", "not valid UTF-8 text");
        }
        int[] featureColumns = mapping.featureColumns();
        for (int f = 0; f < featureColumns.length; f++) {
            int c = featureColumns[f];
            float value = split != null ? FeatureValues.parseFinite(quotedValues.get(c)) : parse(c);
            if (Float.isNaN(value)) {
                return new Rejection(mapping.header().get(c), FeatureValues.problemWith(text(c)));
            }
            tensor.put(offset + f, value);
        }
        return null;
    }

    private boolean passThroughIsUtf8() {
        for (int c : mapping.passThroughColumns()) {
            if (!CsvBytes.isUtf8(buffer, fieldStart[c], fieldEnd[c])) {
                return false;
            }
        }
        return true;
    }

    /** The field as a finite float, or NaN; the same rules as {@link FeatureValues#parseFinite}. */
    private float parse(int column) {
        return FeatureValues.parseFinite(buffer, fieldStart[column], fieldEnd[column]);
    }

    private String text(int column) {
        return split != null ? quotedValues.get(column)
                : new String(buffer, fieldStart[column], fieldEnd[column] - fieldStart[column], StandardCharsets.UTF_8);
    }

    /** Every field of the current row as text, and what is wrong with its quoting (null if nothing): for tests. */
    List<String> fields() {
        List<String> fields = new ArrayList<>(fieldCount);
        for (int c = 0; c < fieldCount; c++) {
            fields.add(text(c));
        }
        return fields;
    }

    CsvFields.Problem quotingProblem() {
        return split == null ? null : split.problem();
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
