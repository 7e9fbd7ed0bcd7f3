package dev.batchinference.format.csv;

/**
 * The one definition of where a CSV record ends, shared by the planner (which counts and cuts records),
 * {@link CsvBlocks} (which cuts a chunk into blocks) and {@link CsvRowReader} (which reads them), so that
 * all three always agree. The rules:
 *
 * <ul>
 *   <li>A record ends at a line feed, a carriage return, or the two together, outside a quoted field. A
 *       line with no bytes at all is blank and is not a record: blank lines are skipped wherever they are.
 *       (A carriage return followed by a line feed is a record's end followed by a blank line.)</li>
 *   <li>A field is quoted when its very first byte is a quote (RFC 4180). Inside it a doubled quote is one
 *       quote, and a quote followed by anything else closes the field; delimiters and line breaks inside
 *       are data.</li>
 *   <li>A quote anywhere else (in a field that did not start with one, or after a quoted field closed) is
 *       an ordinary byte: it never opens a quoted field, so a stray quote cannot merge records. Such a
 *       record is malformed, which the reader reports as a rejected row ({@link CsvFields}).</li>
 *   <li>A quoted field still open at the end of the input makes the input unreadable.</li>
 * </ul>
 *
 * <p>The scanner is fed consecutive byte ranges of one input and keeps its state between them. It looks
 * for quotes and line breaks eight bytes at a time; delimiters matter only for telling whether a quote
 * starts a field, which the byte before it says. Written by hand because no CSV library reports records'
 * byte offsets (commons-csv and FastCSV count characters, which differ from bytes in UTF-8).
 */
final class CsvRecordScanner {
    private final boolean[] delimiters = new boolean[256];
    /** Inside a quoted field. */
    private boolean quoted;
    /** The last byte seen was a quote inside a quoted field: the next byte says whether it closes the field. */
    private boolean quotePending;
    /** The next byte starts a field (at a record's start, or after a delimiter outside quotes). */
    private boolean fieldStart = true;
    private long position;
    private long recordStart;
    private long quoteOpenedAt = -1;
    private long lastRecordLength;

    /** Records of a file whose delimiter is known. */
    CsvRecordScanner(char delimiter) {
        this(new char[] {delimiter});
    }

    /**
     * Records whose fields may be separated by any of {@code candidates}: how a header is found before its
     * delimiter is known. For a header that is valid with the delimiter chosen later, the end is the same.
     */
    CsvRecordScanner(char[] candidates) {
        for (char c : candidates) {
            if (c > 127 || c == '"' || c == '\n' || c == '\r') {
                throw new IllegalArgumentException("a delimiter must be ASCII, not a quote or a line break: " + (int) c);
            }
            delimiters[c] = true;
        }
    }

    /** From now on only {@code delimiter} separates fields: once a header has told which candidate it is. */
    void useDelimiter(char delimiter) {
        java.util.Arrays.fill(delimiters, false);
        delimiters[delimiter] = true;
    }

    /** Forgets everything scanned: the next byte starts a record at position 0. */
    void reset() {
        quoted = false;
        quotePending = false;
        fieldStart = true;
        position = 0;
        recordStart = 0;
        quoteOpenedAt = -1;
        lastRecordLength = 0;
    }

    /**
     * Scans {@code bytes[from, to)}, the input's next bytes, for the end of the current record. Returns the
     * index just past the line break that ends it, or -1 if it does not end in the range (then the next call
     * goes on from where this one stopped). After a record ends, {@link #lastRecordLength()} says how many
     * bytes it had before its line break (0: a blank line).
     */
    int nextRecordEnd(byte[] bytes, int from, int to) {
        int i = from;
        while (i < to) {
            if (quotePending) {
                quotePending = false;
                if (bytes[i] == '"') {
                    i++; // a doubled quote: one quote of data, still inside the field
                    continue;
                }
                quoted = false; // the quote closed the field; this byte is read outside it
                fieldStart = false;
            }
            if (quoted) {
                int quote = indexOfQuote(bytes, i, to);
                if (quote < 0) {
                    i = to;
                    break;
                }
                i = quote + 1;
                quotePending = true;
                continue;
            }
            int stop = indexOfQuoteOrLineBreak(bytes, i, to);
            if (stop < 0) {
                fieldStart = delimiters[bytes[to - 1] & 0xFF];
                i = to;
                break;
            }
            boolean atFieldStart = stop > i ? delimiters[bytes[stop - 1] & 0xFF] : fieldStart;
            if (bytes[stop] == '"') {
                if (atFieldStart) {
                    quoted = true;
                    quoteOpenedAt = position + (stop - from);
                }
                fieldStart = false;
                i = stop + 1;
                continue;
            }
            int end = stop + 1;
            position += end - from;
            lastRecordLength = position - 1 - recordStart;
            recordStart = position;
            fieldStart = true;
            return end;
        }
        position += i - from;
        return -1;
    }

    /** How many bytes the record that ended last had before its line break; 0 for a blank line. */
    long lastRecordLength() {
        return lastRecordLength;
    }

    /** Bytes of the current record scanned so far (all of them when the input ends without a line break). */
    long currentRecordLength() {
        return position - recordStart;
    }

    /** Where the current record starts, counted from the first byte scanned. */
    long currentRecordStart() {
        return recordStart;
    }

    /** Bytes scanned so far. */
    long position() {
        return position;
    }

    /** Whether a quoted field is open: at the end of the input, the input is unreadable. */
    boolean inQuotedField() {
        return quoted && !quotePending; // a quote as the very last byte closes the field
    }

    /** Where the open quoted field's quote is, counted from the first byte scanned. */
    long quoteOpenedAt() {
        return quoteOpenedAt;
    }

    /** The index of the first quote in {@code bytes[from, to)}, or -1. */
    private static int indexOfQuote(byte[] bytes, int from, int to) {
        int i = from;
        for (; i + Long.BYTES <= to; i += Long.BYTES) {
            long marks = CsvBytes.bytesEqual(CsvBytes.word(bytes, i), CsvBytes.QUOTES);
            if (marks != 0) {
                return CsvBytes.firstMarked(i, marks);
            }
        }
        for (; i < to; i++) {
            if (bytes[i] == '"') {
                return i;
            }
        }
        return -1;
    }

    /** The index of the first quote, line feed or carriage return in {@code bytes[from, to)}, or -1. */
    static int indexOfQuoteOrLineBreak(byte[] bytes, int from, int to) {
        int i = from;
        for (; i + Long.BYTES <= to; i += Long.BYTES) {
            long word = CsvBytes.word(bytes, i);
            long marks = CsvBytes.bytesEqual(word, CsvBytes.QUOTES) | CsvBytes.bytesEqual(word, CsvBytes.NEWLINES)
                    | CsvBytes.bytesEqual(word, CsvBytes.CARRIAGE_RETURNS);
            if (marks != 0) {
                return CsvBytes.firstMarked(i, marks);
            }
        }
        for (; i < to; i++) {
            byte b = bytes[i];
            if (b == '"' || b == '\n' || b == '\r') {
                return i;
            }
        }
        return -1;
    }

    static boolean isLineBreak(byte b) {
        return b == '\n' || b == '\r';
    }
}
