package dev.batchinference.format.csv;

import static org.assertj.core.api.Assertions.assertThat;

import dev.batchinference.format.ColumnMapping;
import dev.batchinference.format.RowReader;
import java.io.ByteArrayInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.FloatBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.junit.jupiter.api.Test;

/** The byte-level CSV reader: what commons-csv would read, whatever the buffer boundaries. */
class CsvRowReaderTest {
    private static final List<String> HEADER = List.of("id", "a", "b", "note");
    private static final ColumnMapping MAPPING = ColumnMapping.of(HEADER, List.of("b", "a"), List.of("id", "note"));

    /** Reads every row as "id|note|b|a" or "id|REJECT column: reason". */
    private static List<String> read(InputStream in) throws IOException {
        List<String> rows = new ArrayList<>();
        FloatBuffer tensor = FloatBuffer.allocate(2);
        Object[] pass = new Object[2];
        try (CsvRowReader reader = new CsvRowReader(in, ',', MAPPING)) {
            while (reader.next()) {
                RowReader.Rejection rejection = reader.readFeatures(tensor, 0);
                reader.readPassThrough(pass);
                rows.add(rejection != null ? pass[0] + "|REJECT " + rejection.column() + ": " + rejection.reason()
                        : pass[0] + "|" + pass[1] + "|" + tensor.get(0) + "|" + tensor.get(1));
            }
        }
        return rows;
    }

    private static InputStream oneByteAtATime(String text) {
        return new FilterInputStream(new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8))) {
            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                return super.read(b, off, Math.min(len, 1));
            }
        };
    }

    private static final String MIXED = "1,0.5,2.5,plain\r\n"
            + "\r\n"
            + "2,\"1.5\",3,\"with, comma\"\n"
            + "3, 7 ,8,\"two\nlines \"\"quoted\"\"\"\n"
            + "4,1e-3,-2,ünïcödé\n"
            + "5,,1,empty\n"
            + "6,NaN,1,nan\n"
            + "7,1.5f,1,suffix\n"
            + "8,Infinity,1,inf\n"
            + "9,1,2\n"
            + "10,9,9,last without newline";

    private static final List<String> EXPECTED = List.of(
            "1|plain|2.5|0.5",
            "2|with, comma|3.0|1.5",
            "3|two\nlines \"quoted\"|8.0|7.0",
            "4|ünïcödé|-2.0|0.001",
            "5|REJECT a: empty value",
            "6|REJECT a: not a finite number (NaN)",
            "7|REJECT a: not a number (text of 4 characters)",
            "8|REJECT a: not a finite number (Infinity)",
            "9|REJECT : expected 4 columns, found 3",
            "10|last without newline|9.0|9.0");

    @Test
    void readsWhatCommonsCsvWouldWithQuotesCrlfBlankLinesAndRejections() throws IOException {
        assertThat(read(new ByteArrayInputStream(MIXED.getBytes(StandardCharsets.UTF_8)))).containsExactlyElementsOf(EXPECTED);
    }

    @Test
    void givesTheSameRowsWhenTheInputArrivesOneByteAtATime() throws IOException {
        assertThat(read(oneByteAtATime(MIXED))).containsExactlyElementsOf(EXPECTED);
    }

    @Test
    void aRecordLargerThanTheBufferIsReadWhole() throws IOException {
        String longNote = "x".repeat(700_000);
        String text = "1,1,2," + longNote + "\n2,3,4,short\n";

        List<String> rows = read(oneByteAtATime(text));

        assertThat(rows).hasSize(2);
        assertThat(rows.get(0)).isEqualTo("1|" + longNote + "|2.0|1.0");
        assertThat(rows.get(1)).isEqualTo("2|short|4.0|3.0");
    }

    @Test
    void anEmptyChunkHasNoRows() throws IOException {
        assertThat(read(new ByteArrayInputStream(new byte[0]))).isEmpty();
        assertThat(read(new ByteArrayInputStream("\n\r\n".getBytes(StandardCharsets.UTF_8)))).isEmpty();
    }

    @Test
    void agreesWithCommonsCsvOnRandomRecordsWhateverSizesTheReadsHave() throws IOException {
        RandomCsv csv = RandomCsv.generate(42, 3000);
        byte[] bytes = csv.bodyBytes();
        try (CSVParser commons = CSVParser.parse(csv.body(), CSVFormat.DEFAULT)) {
            assertThat(commons.getRecords().stream().map(c -> c.get(0) + "|" + c.get(3)).toList())
                    .as("the test's own expectation, by commons-csv")
                    .containsExactlyElementsOf(csv.records().stream()
                            .map(e -> e.substring(0, e.indexOf('|', e.indexOf('|') + 1))).toList());
        }
        for (int maxRead : new int[] {3, 8, 61, 4096, Integer.MAX_VALUE}) {
            SplittableRandom sizes = new SplittableRandom(maxRead);
            InputStream in = new FilterInputStream(new ByteArrayInputStream(bytes)) {
                @Override
                public int read(byte[] b, int off, int len) throws IOException {
                    return super.read(b, off, Math.min(len, 1 + sizes.nextInt(Math.min(maxRead, 1 << 20))));
                }
            };
            assertThat(read(in)).as("reads of up to %d bytes", maxRead).containsExactlyElementsOf(csv.records());
        }
    }
}
