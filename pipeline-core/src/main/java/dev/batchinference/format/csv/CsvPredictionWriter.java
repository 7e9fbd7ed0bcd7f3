package dev.batchinference.format.csv;

import com.fasterxml.jackson.core.io.NumberOutput;
import dev.batchinference.format.PredictionWriter;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;

/**
 * Predictions as CSV rows of UTF-8 bytes (no header: collation writes it once). Rows are assembled in one
 * reused byte buffer, ASCII text copied without an encoder; probabilities are written in their shortest
 * round-trip form, the text of {@code Float.toString} since Java 19: straight into the row for the usual
 * values ({@link CsvFloatFormat}), through jackson-core's Schubfach port (several times faster than Java
 * 17's own) for the rest.
 */
public final class CsvPredictionWriter implements PredictionWriter {
    private final OutputStream out;
    private final List<String> labels;
    private final byte[][] labelFields;
    private byte[] row = new byte[1024];
    private int length;

    public CsvPredictionWriter(OutputStream out, List<String> labels) {
        this.out = out;
        this.labels = labels;
        this.labelFields = labels.stream().map(l -> field(l).getBytes(StandardCharsets.UTF_8)).toArray(byte[][]::new);
    }

    /** Writes a header row of these column names. */
    public void writeHeader(List<String> columns) throws IOException {
        length = 0;
        for (int i = 0; i < columns.size(); i++) {
            if (i > 0) {
                append((byte) ',');
            }
            appendText(field(columns.get(i)));
        }
        append((byte) '\n');
        out.write(row, 0, length);
    }

    @Override
    public void write(Object[] passThrough, String label, float[] probabilities, int offset) throws IOException {
        length = 0;
        for (Object value : passThrough) {
            appendField(value == null ? "" : value.toString());
            append((byte) ',');
        }
        int index = labels.indexOf(label);
        appendBytes(index >= 0 ? labelFields[index] : field(label).getBytes(StandardCharsets.UTF_8));
        for (int c = 0; c < labels.size(); c++) {
            append((byte) ',');
            appendProbability(probabilities[offset + c]);
        }
        append((byte) '\n');
        out.write(row, 0, length);
    }

    @Override
    public Optional<PredictionWriter> encoderInto(OutputStream bytes) {
        return Optional.of(new CsvPredictionWriter(bytes, labels));
    }

    @Override
    public void writeEncoded(byte[] bytes, int offset, int length) throws IOException {
        out.write(bytes, offset, length);
    }

    /** The float's shortest round-trip text, straight into the row where {@link CsvFloatFormat} can. */
    private void appendProbability(float value) {
        ensure(CsvFloatFormat.MAX_LENGTH);
        int end = CsvFloatFormat.write(value, row, length);
        if (end >= 0) {
            length = end;
        } else {
            appendText(NumberOutput.toString(value, true));
        }
    }

    /**
     * One pass for the usual field, plain ASCII that needs no quotes: copied as it is scanned. Anything
     * else is taken back and written the long way.
     */
    private void appendField(String text) {
        int n = text.length();
        ensure(n);
        int start = length;
        if (n > 0 && text.charAt(0) != ' ' && text.charAt(n - 1) != ' ') {
            for (int i = 0; i < n; i++) {
                char c = text.charAt(i);
                if (c >= 0x80 || c == ',' || c == '"' || c == '\n' || c == '\r') {
                    length = start;
                    appendText(needsQuotes(text) ? field(text) : text);
                    return;
                }
                row[length++] = (byte) c;
            }
            return;
        }
        appendText(needsQuotes(text) ? field(text) : text);
    }

    /** Copies ASCII as it is; anything else through the UTF-8 encoder. */
    private void appendText(String text) {
        int n = text.length();
        ensure(n);
        for (int i = 0; i < n; i++) {
            char c = text.charAt(i);
            if (c >= 0x80) {
                appendBytes(text.substring(i).getBytes(StandardCharsets.UTF_8));
                return;
            }
            row[length++] = (byte) c;
        }
    }

    private void appendBytes(byte[] bytes) {
        ensure(bytes.length);
        System.arraycopy(bytes, 0, row, length, bytes.length);
        length += bytes.length;
    }

    private void append(byte b) {
        ensure(1);
        row[length++] = b;
    }

    private void ensure(int more) {
        if (length + more > row.length) {
            row = java.util.Arrays.copyOf(row, Math.max(row.length * 2, length + more));
        }
    }

    /** A value as one CSV field: quoted, with quotes doubled, when it holds a delimiter, quote, line break or edge space. */
    static String field(String value) {
        return needsQuotes(value) ? '"' + value.replace("\"", "\"\"") + '"' : value;
    }

    private static boolean needsQuotes(String value) {
        int n = value.length();
        if (n == 0) {
            return false;
        }
        if (value.charAt(0) == ' ' || value.charAt(n - 1) == ' ') {
            return true;
        }
        for (int i = 0; i < n; i++) {
            char c = value.charAt(i);
            if (c == ',' || c == '"' || c == '\n' || c == '\r') {
                return true;
            }
        }
        return false;
    }

    @Override
    public void close() throws IOException {
        out.close();
    }
}
