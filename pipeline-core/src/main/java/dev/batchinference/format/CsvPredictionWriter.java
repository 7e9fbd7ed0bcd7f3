package dev.batchinference.format;

import com.fasterxml.jackson.core.io.NumberOutput;
import dev.batchinference.inference.PredictionWriter;
import java.io.IOException;
import java.io.Writer;
import java.util.List;
import org.apache.commons.csv.CSVFormat;

/**
 * Predictions as CSV rows (no header: collation writes it once). Rows are assembled in one reused
 * buffer; probabilities are written in their shortest round-trip form by jackson-core's Schubfach
 * formatter, several times faster than {@code Float.toString} before Java 19 and the same digits.
 */
public final class CsvPredictionWriter implements PredictionWriter {
    /** The format of every CSV the pipeline writes: RFC 4180 quoting, '\n' between records. */
    public static final CSVFormat FORMAT = CSVFormat.DEFAULT.builder().setRecordSeparator('\n').get();

    private final Writer out;
    private final List<String> labels;
    private final String[] quotedLabels;
    private final StringBuilder row = new StringBuilder(256);

    public CsvPredictionWriter(Writer out, List<String> labels) {
        this.out = out;
        this.labels = labels;
        this.quotedLabels = labels.stream().map(CsvPredictionWriter::field).toArray(String[]::new);
    }

    @Override
    public void write(Object[] passThrough, String label, float[] probabilities, int offset) throws IOException {
        row.setLength(0);
        for (Object value : passThrough) {
            appendField(value == null ? "" : value.toString());
            row.append(',');
        }
        int index = labels.indexOf(label);
        row.append(index >= 0 ? quotedLabels[index] : field(label));
        for (int c = 0; c < labels.size(); c++) {
            row.append(',').append(NumberOutput.toString(probabilities[offset + c], true));
        }
        row.append('\n');
        out.append(row);
    }

    private void appendField(String value) {
        if (needsQuotes(value)) {
            row.append(field(value));
        } else {
            row.append(value);
        }
    }

    /** A value as one CSV field: quoted, with quotes doubled, when it holds a delimiter, quote, line break or edge space. */
    static String field(String value) {
        if (!needsQuotes(value)) {
            return value;
        }
        return '"' + value.replace("\"", "\"\"") + '"';
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
