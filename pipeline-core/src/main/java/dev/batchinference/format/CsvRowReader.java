package dev.batchinference.format;

import dev.batchinference.inference.RowReader;
import dev.batchinference.job.FailureReason;
import dev.batchinference.job.PipelineException;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.FloatBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;

/** Rows of a CSV chunk (records without the header), parsed by commons-csv. */
public final class CsvRowReader implements RowReader {
    private final ColumnMapping mapping;
    private final CSVParser parser;
    private final Iterator<CSVRecord> records;
    private CSVRecord record;
    private long rowsRead;

    public CsvRowReader(InputStream in, char delimiter, ColumnMapping mapping) throws IOException {
        this.mapping = mapping;
        CSVFormat format = CSVFormat.DEFAULT.builder().setDelimiter(delimiter).setIgnoreEmptyLines(true).get();
        this.parser = CSVParser.parse(new InputStreamReader(in, StandardCharsets.UTF_8), format);
        this.records = parser.iterator();
    }

    @Override
    public boolean next() {
        try {
            if (!records.hasNext()) {
                return false;
            }
            record = records.next();
            rowsRead++;
            return true;
        } catch (UncheckedIOException | IllegalStateException e) {
            // commons-csv reports malformed quoting this way; retrying the chunk cannot fix the file
            throw new PipelineException(FailureReason.UNREADABLE_INPUT, "record " + (rowsRead + 1)
                    + " of the chunk is not valid CSV: " + (e.getCause() != null ? e.getCause().getMessage() : e.getMessage()));
        }
    }

    @Override
    public Rejection readFeatures(FloatBuffer tensor, int offset) {
        if (record.size() != mapping.header().size()) {
            return new Rejection("", "expected " + mapping.header().size() + " columns, found " + record.size());
        }
        int[] columns = mapping.featureColumns();
        for (int f = 0; f < columns.length; f++) {
            String text = record.get(columns[f]);
            float value = FeatureValues.parseFinite(text);
            if (Float.isNaN(value)) {
                return new Rejection(mapping.header().get(columns[f]), FeatureValues.problemWith(text));
            }
            tensor.put(offset + f, value);
        }
        return null;
    }

    @Override
    public void readPassThrough(Object[] into) {
        int[] columns = mapping.passThroughColumns();
        for (int p = 0; p < columns.length; p++) {
            into[p] = record.get(columns[p]);
        }
    }

    @Override
    public void close() throws IOException {
        parser.close();
    }
}
