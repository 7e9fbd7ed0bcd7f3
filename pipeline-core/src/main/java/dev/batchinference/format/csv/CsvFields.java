package dev.batchinference.format.csv;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Splits one whole record (its bytes without the line break that ends it) into fields by the rules of
 * {@link CsvRecordScanner}: a field that starts with a quote is quoted, a doubled quote inside it is one
 * quote; a quote anywhere else is kept as an ordinary character but makes the record malformed. Used for
 * the header and for data records that hold a quote (the reader splits the others on its own, faster).
 */
final class CsvFields {

    /** What is wrong with a record's quoting, described by shape (never by content). */
    enum Problem {
        STRAY_QUOTE("a quote inside a field that does not start with one (quote the whole field, doubling inner quotes)"),
        TEXT_AFTER_QUOTE("text after a quoted field's closing quote"),
        UNCLOSED_QUOTE("a quoted field that is never closed");

        final String description;

        Problem(String description) {
            this.description = description;
        }
    }

    /** The outcome of a split: the first problem (null if none), the field it is in, line breaks inside quotes. */
    record Split(Problem problem, int problemField, int lineBreaksInQuotes) {
    }

    private CsvFields() {
    }

    /** Adds the fields of {@code bytes[start, stop)} to {@code into}; says what is wrong with them, if anything. */
    static Split split(byte[] bytes, int start, int stop, byte delimiter, List<String> into) {
        Problem problem = null;
        int problemField = -1;
        int lineBreaks = 0;
        ByteArrayOutputStream quotedBytes = null;
        int i = start;
        while (true) {
            int field = into.size();
            if (i < stop && bytes[i] == '"') {
                if (quotedBytes == null) {
                    quotedBytes = new ByteArrayOutputStream();
                }
                quotedBytes.reset();
                int from = ++i;
                boolean closed = false;
                while (i < stop) {
                    byte b = bytes[i];
                    if (b == '"') {
                        quotedBytes.write(bytes, from, i - from);
                        if (i + 1 < stop && bytes[i + 1] == '"') {
                            quotedBytes.write('"');
                            i += 2;
                            from = i;
                            continue;
                        }
                        i++;
                        closed = true;
                        break;
                    }
                    if (b == '\n' || (b == '\r' && (i + 1 == stop || bytes[i + 1] != '\n'))) {
                        lineBreaks++;
                    }
                    i++;
                }
                if (!closed) {
                    quotedBytes.write(bytes, from, i - from);
                    if (problem == null) {
                        problem = Problem.UNCLOSED_QUOTE;
                        problemField = field;
                    }
                }
                int after = indexOf(bytes, i, stop, delimiter);
                if (after > i) {
                    // commons-csv refuses this, FastCSV appends it: the row is rejected either way
                    quotedBytes.write(bytes, i, after - i);
                    if (problem == null) {
                        problem = Problem.TEXT_AFTER_QUOTE;
                        problemField = field;
                    }
                }
                into.add(quotedBytes.toString(StandardCharsets.UTF_8));
                i = after;
            } else {
                int end = indexOf(bytes, i, stop, delimiter);
                if (problem == null && indexOf(bytes, i, end, (byte) '"') < end) {
                    problem = Problem.STRAY_QUOTE;
                    problemField = field;
                }
                into.add(new String(bytes, i, end - i, StandardCharsets.UTF_8));
                i = end;
            }
            if (i >= stop) {
                return new Split(problem, problemField, lineBreaks);
            }
            i++; // past the delimiter
        }
    }

    private static int indexOf(byte[] bytes, int from, int to, byte wanted) {
        for (int i = from; i < to; i++) {
            if (bytes[i] == wanted) {
                return i;
            }
        }
        return to;
    }
}
