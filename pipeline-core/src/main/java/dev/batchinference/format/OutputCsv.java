package dev.batchinference.format;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVPrinter;

/** The CSV the pipeline writes, predictions and errors files alike: one dialect, and the errors file's columns. */
public final class OutputCsv {
    /** RFC 4180 quoting, '\n' between records. */
    public static final CSVFormat FORMAT = CSVFormat.DEFAULT.builder().setRecordSeparator('\n').get();
    /** Columns of an errors file. In a chunk's errors part the row number counts within the chunk. */
    public static final List<String> ERROR_COLUMNS = List.of("row", "column", "reason");

    private OutputCsv() {
    }

    /** One record of these values, as UTF-8 bytes. */
    public static byte[] line(List<String> values) {
        StringBuilder line = new StringBuilder();
        try (CSVPrinter printer = new CSVPrinter(line, FORMAT)) {
            printer.printRecord(values);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return line.toString().getBytes(StandardCharsets.UTF_8);
    }
}
