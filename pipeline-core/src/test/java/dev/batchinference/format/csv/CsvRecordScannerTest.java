package dev.batchinference.format.csv;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The record rule by example: where records end, what a quote does, what is blank; fed whole or a byte at a time. */
class CsvRecordScannerTest {

    /** The records' texts (line breaks dropped; blank lines left out), and whether a quoted field is left open. */
    private static List<String> records(String text, int step) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        CsvRecordScanner scanner = new CsvRecordScanner(',');
        List<String> records = new ArrayList<>();
        int recordStart = 0;
        for (int from = 0; from < bytes.length; ) {
            int to = Math.min(bytes.length, from + step);
            int end = scanner.nextRecordEnd(bytes, from, to);
            if (end < 0) {
                from = to;
                continue;
            }
            if (scanner.lastRecordLength() > 0) {
                records.add(new String(bytes, recordStart, end - 1 - recordStart, StandardCharsets.UTF_8));
            }
            recordStart = end;
            from = end;
        }
        if (scanner.currentRecordLength() > 0) {
            records.add(new String(bytes, recordStart, bytes.length - recordStart, StandardCharsets.UTF_8)
                    + (scanner.inQuotedField() ? "<open>" : ""));
        }
        return records;
    }

    private static void assertRecords(String text, String... expected) {
        for (int step : new int[] {1, 2, 3, 7, 1000}) {
            assertThat(records(text, step)).as("%s fed %d bytes at a time", text.replace("\r", "\\r").replace("\n", "\\n"), step)
                    .containsExactly(expected);
        }
    }

    @Test
    void lineFeedsCarriageReturnsAndBothEndRecords() {
        assertRecords("a,b\nc,d\re,f\r\ng,h", "a,b", "c,d", "e,f", "g,h");
    }

    @Test
    void blankLinesAreNotRecordsButALineOfSpacesIs() {
        assertRecords("\n\r\n\ra\n\n\r\r\nb\n \n", "a", "b", " ");
    }

    @Test
    void aQuoteOpensAFieldOnlyAsItsFirstByte() {
        assertRecords("a,\"b\nc\",d\ne", "a,\"b\nc\",d", "e");
        assertRecords("\"x\r\ny\"\nz", "\"x\r\ny\"", "z");
        // mid-field quotes are ordinary bytes: they cannot swallow the next line
        assertRecords("a,b\"c\nd,e\"f\ng", "a,b\"c", "d,e\"f", "g");
        // after a closing quote, a quote does not open anything either
        assertRecords("\"a\"b\"c\nd", "\"a\"b\"c", "d");
    }

    @Test
    void aDoubledQuoteStaysInsideTheField() {
        assertRecords("\"a\"\"\nb\"\"\",c\nd", "\"a\"\"\nb\"\"\",c", "d");
        assertRecords("\"\"\n\"\"\"\"\n", "\"\"", "\"\"\"\"");
    }

    @Test
    void aQuoteNeverClosedLeavesTheFieldOpenAtTheEnd() {
        assertRecords("a\n\"b\nc\n", "a", "\"b\nc\n<open>");
        assertRecords("a,\"b\"", "a,\"b\"");
    }

    @Test
    void fieldsSayWhatIsWrongWithTheirQuoting() {
        assertThat(split("a,\"b,c\",\"d\"\"e\"")).isEqualTo("[a, b,c, d\"e] null");
        assertThat(split("a,b\"c,d")).isEqualTo("[a, b\"c, d] STRAY_QUOTE in 1");
        assertThat(split("\"a\"x,b")).isEqualTo("[ax, b] TEXT_AFTER_QUOTE in 0");
        assertThat(split("a,\"b")).isEqualTo("[a, b] UNCLOSED_QUOTE in 1");
        assertThat(split(",,")).isEqualTo("[, , ] null");
    }

    private static String split(String record) {
        byte[] bytes = record.getBytes(StandardCharsets.UTF_8);
        List<String> fields = new ArrayList<>();
        CsvFields.Split split = CsvFields.split(bytes, 0, bytes.length, (byte) ',', fields);
        return fields + " " + (split.problem() == null ? "null" : split.problem() + " in " + split.problemField());
    }
}
