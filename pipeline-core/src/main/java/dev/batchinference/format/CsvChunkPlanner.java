package dev.batchinference.format;

import dev.batchinference.config.PipelineConfig.ChunkLimits;
import dev.batchinference.job.ChunkRange;
import dev.batchinference.job.FailureReason;
import dev.batchinference.job.PipelineException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;

/**
 * Splits a CSV stream into chunks of whole records in one pass and constant memory: it reads the
 * header, then cuts at the first record boundary after a chunk reaches its row or byte limit.
 *
 * <p>Written by hand because no CSV library reports records' byte offsets (commons-csv counts
 * characters, which differ from bytes in UTF-8). A newline ends a record only outside quotes;
 * RFC 4180's doubled quote inside a quoted field toggles the state twice, so it needs no case of its own.
 */
public final class CsvChunkPlanner {
    private static final int MAX_HEADER_BYTES = 1024 * 1024;
    private static final byte[] UTF8_BOM = {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF};

    private final ChunkLimits limits;
    private final char delimiter;

    public CsvChunkPlanner(ChunkLimits limits, char delimiter) {
        this.limits = limits;
        this.delimiter = delimiter;
    }

    /** The header's column names and the chunks after it; there is always at least one chunk. */
    public record CsvPlan(List<String> header, long dataStart, List<ChunkRange> chunks, long records) {
    }

    public CsvPlan plan(InputStream input) {
        try (Scanner scanner = new Scanner(input)) {
            List<String> header = readHeader(scanner);
            long dataStart = scanner.position;
            List<ChunkRange> chunks = new ArrayList<>();
            long chunkStart = dataStart;
            long rowsInChunk = 0;
            long records = 0;
            long end;
            while ((end = scanner.nextRecordEnd()) >= 0) {
                rowsInChunk++;
                records++;
                if (rowsInChunk >= limits.maxRows() || end - chunkStart >= limits.maxBytes()) {
                    chunks.add(new ChunkRange(chunks.size(), chunkStart, end));
                    chunkStart = end;
                    rowsInChunk = 0;
                }
            }
            if (scanner.inQuotes) {
                throw new PipelineException(FailureReason.UNREADABLE_INPUT,
                        "a quoted field opened after byte " + scanner.lastRecordEnd + " is never closed");
            }
            if (chunkStart < scanner.position || chunks.isEmpty()) {
                chunks.add(new ChunkRange(chunks.size(), chunkStart, scanner.position));
            }
            return new CsvPlan(header, dataStart, chunks, records);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private List<String> readHeader(Scanner scanner) throws IOException {
        ByteArrayOutputStream headerBytes = new ByteArrayOutputStream();
        long end = scanner.nextRecordEnd(headerBytes);
        if (end < 0 && scanner.position == 0) {
            throw new PipelineException(FailureReason.EMPTY_INPUT, "the file is empty: expected a header row");
        }
        if (scanner.inQuotes) {
            throw new PipelineException(FailureReason.UNREADABLE_INPUT, "the header row has a quote that is never closed");
        }
        byte[] bytes = headerBytes.toByteArray();
        int offset = startsWithBom(bytes) ? UTF8_BOM.length : 0;
        String text = new String(bytes, offset, bytes.length - offset, StandardCharsets.UTF_8);
        CSVFormat format = CSVFormat.DEFAULT.builder().setDelimiter(delimiter).get();
        try (CSVParser parser = CSVParser.parse(new StringReader(text), format)) {
            List<CSVRecord> records = parser.getRecords();
            if (records.isEmpty()) {
                throw new PipelineException(FailureReason.EMPTY_INPUT, "the first line is blank: expected a header row");
            }
            List<String> header = new ArrayList<>();
            Set<String> seen = new HashSet<>();
            for (String name : records.get(0).values()) {
                String trimmed = name.trim();
                if (trimmed.isEmpty()) {
                    throw new PipelineException(FailureReason.SCHEMA_MISMATCH,
                            "header column " + (header.size() + 1) + " has no name");
                }
                if (!seen.add(trimmed)) {
                    throw new PipelineException(FailureReason.SCHEMA_MISMATCH,
                            "column '" + trimmed + "' appears twice in the header");
                }
                header.add(trimmed);
            }
            return header;
        } catch (UncheckedIOException e) {
            throw new PipelineException(FailureReason.UNREADABLE_INPUT, "the header row is not valid CSV: "
                    + e.getCause().getMessage());
        }
    }

    private static boolean startsWithBom(byte[] bytes) {
        return bytes.length >= 3 && bytes[0] == UTF8_BOM[0] && bytes[1] == UTF8_BOM[1] && bytes[2] == UTF8_BOM[2];
    }

    /** Finds record ends in a byte stream, tracking whether it is inside a quoted field. */
    private static final class Scanner implements AutoCloseable {
        private final InputStream in;
        private final byte[] buffer = new byte[64 * 1024];
        private int length;
        private int index;
        private long position;
        private long lastRecordEnd;
        private boolean inQuotes;

        Scanner(InputStream in) {
            this.in = in;
        }

        long nextRecordEnd() throws IOException {
            return nextRecordEnd(null);
        }

        /** The offset just past the next record's newline, or -1 at the end of the stream. */
        long nextRecordEnd(ByteArrayOutputStream copy) throws IOException {
            long start = position;
            while (true) {
                if (index == length) {
                    length = in.read(buffer);
                    index = 0;
                    if (length <= 0) {
                        length = 0;
                        // a last record without a trailing newline still counts
                        return position > start && !inQuotes ? (lastRecordEnd = position) : -1;
                    }
                }
                int from = index;
                while (index < length) {
                    byte b = buffer[index++];
                    if (b == '"') {
                        inQuotes = !inQuotes;
                    } else if (b == '\n' && !inQuotes) {
                        position += index - from;
                        if (copy != null) {
                            copy.write(buffer, from, index - from);
                        }
                        return lastRecordEnd = position;
                    }
                }
                position += index - from;
                if (copy != null) {
                    copy.write(buffer, from, index - from);
                    if (copy.size() > MAX_HEADER_BYTES) {
                        throw new PipelineException(FailureReason.UNREADABLE_INPUT,
                                "the header row is longer than " + MAX_HEADER_BYTES + " bytes");
                    }
                }
            }
        }

        @Override
        public void close() throws IOException {
            in.close();
        }
    }
}
