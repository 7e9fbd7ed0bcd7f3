package dev.batchinference.format.csv;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;
import org.junit.jupiter.api.Test;

/** Pass-through values come back as they went in when the output is read as CSV, whatever they hold. */
class CsvPredictionWriterTest {

    @Test
    void passThroughValuesRoundTripThroughCsvQuoting() throws IOException {
        List<String> values = List.of("plain", "with, comma", "a \"quote\"", " edge space", "edge space ", "ünïcödé",
                "", "line\nbreak", "carriage\rreturn", "x", "1234567890", "mixed ü, \"and\" more");
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (CsvPredictionWriter writer = new CsvPredictionWriter(bytes, List.of("no", "yes"))) {
            for (String value : values) {
                writer.write(new Object[] {value, null}, "yes", new float[] {0.25f, 0.75f}, 0);
            }
        }

        List<String> read = new ArrayList<>();
        try (CSVParser parser = CSVParser.parse(bytes.toString(StandardCharsets.UTF_8), CSVFormat.DEFAULT)) {
            for (CSVRecord record : parser) {
                assertThat(Arrays.asList(record.values()).subList(1, 5)).containsExactly("", "yes", "0.25", "0.75");
                read.add(record.get(0));
            }
        }
        assertThat(read).containsExactlyElementsOf(values);
        assertThat(bytes.toString(StandardCharsets.UTF_8)).startsWith("plain,,yes,0.25,0.75\n\"with, comma\",");
    }
}
