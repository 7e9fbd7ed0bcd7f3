package dev.batchinference.format.csv;

import dev.batchinference.failure.FailureReason;
import dev.batchinference.failure.PipelineException;
import dev.batchinference.format.ChunkLimits;
import dev.batchinference.format.ChunkRange;
import dev.batchinference.storage.ObjectStore;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
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
 * header, then cuts at the first record boundary after a chunk reaches its row or byte limit. Chunks
 * are byte ranges of the input, or, given a {@link ChunkStager}, copies written out as they are cut
 * (how a gzip'd file, which cannot be read by range, is split).
 *
 * <p>Written by hand because no CSV library reports records' byte offsets (commons-csv counts
 * characters, which differ from bytes in UTF-8). A newline ends a record only outside quotes;
 * RFC 4180's doubled quote inside a quoted field toggles the state twice, so it needs no case of its own.
 */
public final class CsvChunkPlanner {
    private static final byte[] UTF8_BOM = {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF};
    private static final char[] CANDIDATE_DELIMITERS = {',', ';', '\t'};

    private final ChunkLimits limits;
    private final Character delimiter;
    private final long maxRecordBytes;
    private final long maxTotalBytes;

    /**
     * @param delimiter the delimiter, or null to detect it from the header row
     * @param maxRecordBytes the longest record (header included) accepted: a longer one ends the job
     * @param maxTotalBytes the most bytes read in all (what a gzip'd input may expand to)
     */
    public CsvChunkPlanner(ChunkLimits limits, Character delimiter, long maxRecordBytes, long maxTotalBytes) {
        this.limits = limits;
        this.delimiter = delimiter;
        this.maxRecordBytes = maxRecordBytes;
        this.maxTotalBytes = maxTotalBytes;
    }

    /** Where staged chunks go: a stream per chunk, which becomes the object when closed. */
    public interface ChunkStager {
        ObjectStore.AbortableOutputStream open(int chunk);

        String keyOf(int chunk);
    }

    /** The header's column names, the delimiter, and the chunks after the header; always at least one chunk. */
    public record CsvPlan(List<String> header, char delimiter, long dataStart, List<ChunkRange> chunks, long records) {
    }

    /** Plans chunks as byte ranges of the input. */
    public CsvPlan plan(InputStream input) {
        return plan(input, null);
    }

    /** Plans chunks; with a stager, each chunk's records are also copied out to its own object. */
    public CsvPlan plan(InputStream input, ChunkStager stager) {
        try (Scanner scanner = new Scanner(input)) {
            ByteArrayOutputStream headerBytes = new ByteArrayOutputStream();
            scanner.copyTo(headerBytes);
            long headerEnd = scanner.nextRecordEnd();
            if (headerEnd < 0 && scanner.position == 0) {
                throw new PipelineException(FailureReason.EMPTY_INPUT, "the file is empty: expected a header row");
            }
            if (scanner.inQuotes) {
                throw new PipelineException(FailureReason.UNREADABLE_INPUT, "the header row has a quote that is never closed");
            }
            scanner.copyTo(null);
            String headerText = headerText(headerBytes.toByteArray());
            char chosen = delimiter != null ? delimiter : detectDelimiter(headerText);
            List<String> header = parseHeader(headerText, chosen);
            long dataStart = scanner.position;
            List<ChunkRange> chunks = new ArrayList<>();
            Chunking chunking = new Chunking(scanner, stager, chunks, dataStart);
            long records = 0;
            long end;
            chunking.begin();
            while ((end = scanner.nextRecordEnd()) >= 0) {
                records++;
                chunking.recordEndedAt(end);
            }
            if (scanner.inQuotes) {
                throw new PipelineException(FailureReason.UNREADABLE_INPUT,
                        "a quoted field opened after byte " + scanner.lastRecordEnd + " is never closed");
            }
            chunking.finish();
            return new CsvPlan(header, chosen, dataStart, chunks, records);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Cuts chunks at record ends, and writes staged copies when there is a stager. */
    private final class Chunking {
        private final Scanner scanner;
        private final ChunkStager stager;
        private final List<ChunkRange> chunks;
        private long chunkStart;
        private long rowsInChunk;
        private ObjectStore.AbortableOutputStream staged;

        Chunking(Scanner scanner, ChunkStager stager, List<ChunkRange> chunks, long dataStart) {
            this.scanner = scanner;
            this.stager = stager;
            this.chunks = chunks;
            this.chunkStart = dataStart;
        }

        void begin() {
            if (stager != null) {
                staged = stager.open(chunks.size());
                scanner.copyTo(staged);
            }
        }

        void recordEndedAt(long end) throws IOException {
            rowsInChunk++;
            if (rowsInChunk >= limits.maxRows() || end - chunkStart >= limits.maxBytes()) {
                cut(end);
                begin();
            }
        }

        void finish() throws IOException {
            if (scanner.position > chunkStart || chunks.isEmpty()) {
                cut(scanner.position);
            } else if (staged != null) {
                // the last cut fell on the end of the input: the chunk opened after it is not needed
                scanner.copyTo(null);
                staged.abort();
            }
        }

        private void cut(long end) throws IOException {
            if (stager != null) {
                scanner.copyTo(null);
                staged.close();
                chunks.add(new ChunkRange(chunks.size(), 0, end - chunkStart, stager.keyOf(chunks.size())));
            } else {
                chunks.add(new ChunkRange(chunks.size(), chunkStart, end));
            }
            chunkStart = end;
            rowsInChunk = 0;
        }
    }

    private static String headerText(byte[] bytes) {
        int offset = bytes.length >= 3 && bytes[0] == UTF8_BOM[0] && bytes[1] == UTF8_BOM[1] && bytes[2] == UTF8_BOM[2]
                ? UTF8_BOM.length : 0;
        return new String(bytes, offset, bytes.length - offset, StandardCharsets.UTF_8);
    }

    /** The candidate that occurs most often outside quotes in the header; a comma when none does. */
    static char detectDelimiter(String headerText) {
        int[] counts = new int[CANDIDATE_DELIMITERS.length];
        boolean quoted = false;
        for (int i = 0; i < headerText.length(); i++) {
            char c = headerText.charAt(i);
            if (c == '"') {
                quoted = !quoted;
            } else if (!quoted) {
                for (int d = 0; d < CANDIDATE_DELIMITERS.length; d++) {
                    if (c == CANDIDATE_DELIMITERS[d]) {
                        counts[d]++;
                    }
                }
            }
        }
        int best = 0;
        for (int d = 1; d < counts.length; d++) {
            if (counts[d] > counts[best]) {
                best = d;
            }
        }
        return CANDIDATE_DELIMITERS[best];
    }

    private static List<String> parseHeader(String text, char delimiter) {
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
        } catch (IOException | UncheckedIOException e) {
            throw new PipelineException(FailureReason.UNREADABLE_INPUT, "the header row is not valid CSV: " + e.getMessage());
        }
    }

    /** Finds record ends in a byte stream, tracking whether it is inside a quoted field; can copy what it reads. */
    private final class Scanner implements AutoCloseable {
        private final InputStream in;
        private final byte[] buffer = new byte[64 * 1024];
        private int length;
        private int index;
        private long position;
        private long lastRecordEnd;
        private boolean inQuotes;
        private OutputStream copy;
        private long records;

        Scanner(InputStream in) {
            this.in = in;
        }

        /** From now on, copies every byte read to {@code target} (null: stop copying). */
        void copyTo(OutputStream target) {
            copy = target;
        }

        /** The offset just past the next record's newline, or -1 at the end of the stream. */
        long nextRecordEnd() throws IOException {
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
                boolean ended = false;
                while (index < length) {
                    if (index + Long.BYTES <= length) {
                        // eight bytes at a time up to the next quote (or line break, outside quotes)
                        long word = CsvBytes.word(buffer, index);
                        long marks = CsvBytes.bytesEqual(word, CsvBytes.QUOTES);
                        if (!inQuotes) {
                            marks |= CsvBytes.bytesEqual(word, CsvBytes.NEWLINES);
                        }
                        if (marks == 0) {
                            index += Long.BYTES;
                            continue;
                        }
                        index = CsvBytes.firstMarked(index, marks);
                    }
                    byte b = buffer[index++];
                    if (b == '"') {
                        inQuotes = !inQuotes;
                    } else if (b == '\n' && !inQuotes) {
                        ended = true;
                        break;
                    }
                }
                position += index - from;
                // checked before copying: a pathological record never reaches memory or a staged object
                checkLimits(start);
                if (copy != null) {
                    copy.write(buffer, from, index - from);
                }
                if (ended) {
                    records++;
                    return lastRecordEnd = position;
                }
            }
        }

        private void checkLimits(long recordStart) {
            if (position - recordStart > maxRecordBytes) {
                String which = records == 0 ? "the header row" : "record " + records + " (after the header, from byte "
                        + recordStart + ")";
                throw new PipelineException(FailureReason.LIMIT_EXCEEDED, which + " is longer than " + maxRecordBytes
                        + " bytes (MAX_RECORD_BYTES); a newline may be missing, or a quote never closed");
            }
            if (position > maxTotalBytes) {
                throw new PipelineException(FailureReason.LIMIT_EXCEEDED, "the input expands to more than "
                        + maxTotalBytes + " bytes (MAX_UNCOMPRESSED_BYTES)");
            }
        }

        @Override
        public void close() throws IOException {
            in.close();
        }
    }
}
