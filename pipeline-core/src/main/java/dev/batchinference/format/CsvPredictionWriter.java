package dev.batchinference.format;

import dev.batchinference.inference.PredictionWriter;
import java.io.IOException;
import java.io.Writer;
import java.util.List;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVPrinter;

/** Predictions as CSV rows (no header: collation writes it once). */
public final class CsvPredictionWriter implements PredictionWriter {
    /** The format of every CSV the pipeline writes: RFC 4180 quoting, '\n' between records. */
    public static final CSVFormat FORMAT = CSVFormat.DEFAULT.builder().setRecordSeparator('\n').get();

    private final CSVPrinter printer;
    private final List<String> labels;
    private Object[] row;

    public CsvPredictionWriter(Writer out, List<String> labels) throws IOException {
        this.printer = new CSVPrinter(out, FORMAT);
        this.labels = labels;
    }

    @Override
    public void write(Object[] passThrough, String label, float[] probabilities, int offset) throws IOException {
        if (row == null) {
            row = new Object[passThrough.length + 1 + labels.size()];
        }
        for (int p = 0; p < passThrough.length; p++) {
            row[p] = passThrough[p] == null ? "" : passThrough[p].toString();
        }
        row[passThrough.length] = label;
        for (int c = 0; c < labels.size(); c++) {
            row[passThrough.length + 1 + c] = Float.toString(probabilities[offset + c]);
        }
        printer.printRecord(row);
    }

    @Override
    public void close() throws IOException {
        printer.close();
    }
}
