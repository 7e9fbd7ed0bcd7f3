package dev.batchinference.format.csv;

import dev.batchinference.failure.FailureReason;
import dev.batchinference.failure.PipelineException;
import dev.batchinference.format.ColumnMapping;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A CSV file's header row: UTF-8 text whose fields, split like any record's, are the column names. What is
 * wrong with one is said without quoting it, since it may be a data row (a file without a header).
 */
final class CsvHeader {

    private CsvHeader() {
    }

    /**
     * Refuses a file that is plainly not UTF-8 text by its first bytes: a UTF-16 or UTF-32 byte order mark,
     * or the magic number of gzip or Parquet (a file named for the wrong format).
     */
    static void refuseOtherEncodings(byte[] first, int length) {
        if (length >= 2 && (first[0] & 0xFF) == 0x1F && (first[1] & 0xFF) == 0x8B) {
            throw new PipelineException(FailureReason.UNREADABLE_INPUT, "the file is gzip-compressed, not CSV text:"
                    + " name it .csv.gz (or .tsv.gz)");
        }
        if (length >= 4 && first[0] == 'P' && first[1] == 'A' && first[2] == 'R' && first[3] == '1') {
            throw new PipelineException(FailureReason.UNREADABLE_INPUT, "the file is Parquet, not CSV text: name it .parquet");
        }
        boolean utf32 = length >= 4 && ((first[0] == 0 && first[1] == 0 && (first[2] & 0xFF) == 0xFE && (first[3] & 0xFF) == 0xFF)
                || ((first[0] & 0xFF) == 0xFF && (first[1] & 0xFF) == 0xFE && first[2] == 0 && first[3] == 0));
        boolean utf16 = length >= 2 && (((first[0] & 0xFF) == 0xFF && (first[1] & 0xFF) == 0xFE)
                || ((first[0] & 0xFF) == 0xFE && (first[1] & 0xFF) == 0xFF));
        if (utf32 || utf16) {
            throw new PipelineException(FailureReason.UNREADABLE_INPUT, "the file starts with a " + (utf32 ? "UTF-32" : "UTF-16")
                    + " byte order mark: the pipeline reads UTF-8 text; save the file as UTF-8");
        }
    }

    /** The header row's text; refuses bytes that are not UTF-8 text. */
    static String text(byte[] bytes, int length) {
        for (int i = 0; i < length; i++) {
            if (bytes[i] == 0) {
                throw new PipelineException(FailureReason.UNREADABLE_INPUT, "the header row holds NUL bytes: the file is"
                        + " not UTF-8 text (UTF-16 without a byte order mark, or not text at all)");
            }
        }
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes, 0, length)).toString();
        } catch (CharacterCodingException e) {
            throw new PipelineException(FailureReason.UNREADABLE_INPUT, "the header row is not valid UTF-8 text: the file is"
                    + " in another encoding (save it as UTF-8), or not text at all");
        }
    }

    /** The column names: the header's fields, trimmed; each must be there once. */
    static List<String> parse(byte[] bytes, int length, char delimiter) {
        List<String> fields = new ArrayList<>();
        CsvFields.Split split = CsvFields.split(bytes, 0, length, (byte) delimiter, fields);
        if (split.problem() != null) {
            throw new PipelineException(FailureReason.UNREADABLE_INPUT, "the header row has " + split.problem().description
                    + ", in column " + (split.problemField() + 1));
        }
        List<String> names = fields.stream().map(String::trim).toList();
        Map<String, Integer> seen = new HashMap<>();
        for (int c = 0; c < names.size(); c++) {
            if (names.get(c).isEmpty()) {
                throw new PipelineException(FailureReason.SCHEMA_MISMATCH, "header column " + (c + 1) + " has no name");
            }
            Integer first = seen.putIfAbsent(names.get(c), c);
            if (first != null) {
                // not quoted: a header may be a data row (a file without one), and row data stays out of messages
                throw new PipelineException(FailureReason.SCHEMA_MISMATCH, "header columns " + (first + 1) + " and "
                        + (c + 1) + " have the same name" + (ColumnMapping.looksLikeData(names)
                        ? "; " + ColumnMapping.describeDataLikeHeader(names) : ""));
            }
        }
        return names;
    }
}
